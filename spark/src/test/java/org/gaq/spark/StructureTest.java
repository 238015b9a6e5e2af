package org.gaq.spark;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parquet rows → structures: what is accepted, and that every malformed row is an error naming file and record. */
class StructureTest {
    static final List<Integer> WATER = List.of(8, 1, 1);
    static final List<Double> POSITIONS = List.of(0.0, 0.0, 0.0, 0.96, 0.0, 0.0, -0.24, 0.93, 0.0);

    static Row row(Object id, Object elements, Object positions, Object energy, Object forces) {
        return new GenericRowWithSchema(new Object[] {id, elements, positions, energy, forces}, Structure.PARQUET_SCHEMA);
    }

    static String error(Row row) {
        return assertThrows(MalformedStructureException.class, () -> Structure.fromParquetRow(row, "set/part-0.parquet", 5)).getMessage();
    }

    @Test
    void readsAWellFormedRowWithAndWithoutLabels() {
        List<Double> forces = new ArrayList<>(POSITIONS);
        Structure s = Structure.fromParquetRow(row("w1", WATER, POSITIONS, -2079.5, forces), "f.parquet", 2);
        assertArrayEquals(new int[] {8, 1, 1}, s.atomicNumbers());
        assertEquals(-2079.5, s.energy());
        assertEquals("w1", s.id());
        assertEquals("f.parquet record 2", s.where());
        Structure bare = Structure.fromParquetRow(row(null, WATER, POSITIONS, null, null), "f.parquet", 3);
        assertFalse(bare.frame().hasEnergy());
        assertFalse(bare.frame().hasForces());
        // and back: the row a structure writes reads as the same structure
        Structure again = Structure.fromParquetRow(new GenericRowWithSchema(toObjects(s.toParquetRow()), Structure.PARQUET_SCHEMA), "f.parquet", 2);
        assertEquals(s.frame(), again.frame());
    }

    private static Object[] toObjects(Row r) {
        Object[] v = new Object[r.length()];
        for (int i = 0; i < v.length; i++) {
            Object x = r.get(i);
            v[i] = x instanceof Object[] a ? Arrays.asList(a) : x;
        }
        return v;
    }

    @Test
    void malformedRowsNameFileRecordAndProblem() {
        assertTrue(error(row(null, WATER, POSITIONS.subList(0, 8), null, null))
                .equals("set/part-0.parquet record 5: positions has 8 values, expected 3 × 3 atoms = 9"));
        assertTrue(error(row(null, List.of(8, 0, 1), POSITIONS, null, null)).contains("record 5: element 1 is 0, not a known atomic number"));
        List<Double> nan = new ArrayList<>(POSITIONS);
        nan.set(4, Double.NaN);
        assertTrue(error(row(null, WATER, nan, null, null)).contains("record 5: positions[4] is NaN"));
        assertTrue(error(row(null, WATER, POSITIONS, Double.POSITIVE_INFINITY, null)).contains("record 5: energy is Infinity"));
        assertTrue(error(row(null, WATER, POSITIONS, null, POSITIONS.subList(0, 6))).contains("record 5: forces has 6 values, expected 9"));
        assertTrue(error(row(null, List.of(), List.of(), null, null)).contains("record 5: no atoms"));
        assertTrue(error(row(null, null, POSITIONS, null, null)).contains("record 5: elements is null"));
        StructType noPositions = new StructType().add("elements", DataTypes.createArrayType(DataTypes.IntegerType));
        assertTrue(error(new GenericRowWithSchema(new Object[] {WATER}, noPositions)).contains("record 5: no column 'positions'"));
    }

    @Test
    void trajectoryGridCoversEveryStartFrameAtEachTemperatureWithItsOwnSeed() {
        var specs = TrajectorySpec.grid(5, new int[] {3, 9}, new double[] {300, 500}, 100);
        assertEquals(List.of(new TrajectorySpec(0, 3, 100, 300), new TrajectorySpec(1, 9, 101, 300), new TrajectorySpec(2, 3, 102, 500),
                new TrajectorySpec(3, 9, 103, 500), new TrajectorySpec(4, 3, 104, 300)), specs);
        assertThrows(IllegalArgumentException.class, () -> TrajectorySpec.grid(0, new int[] {0}, new double[] {300}, 1));
        assertThrows(IllegalArgumentException.class, () -> TrajectorySpec.grid(2, new int[] {0}, new double[] {-1}, 1));
    }
}
