package org.gaq.spark;

import org.gaq.data.Elements;
import org.gaq.data.Frame;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.Serializable;
import java.util.List;

/**
 * One structure of an evaluation input and where it came from, so that every error and every result row names
 * its file and record. The atoms and labels are kept as arrays, not a {@link Frame}: frames are not serializable, and
 * Spark ships structures. Parquet input has the columns of {@link #PARQUET_SCHEMA}: {@code elements} (atomic numbers)
 * and {@code positions} (Å, x0 y0 z0 x1 …) required; {@code energy} (eV), {@code forces} (eV/Å) and {@code id} optional.
 *
 * @param source the file the structure was read from
 * @param record its index in that file (0-based: frame of an XYZ/npz file, row of a Parquet file)
 * @param id     the {@code id} column of Parquet input, else null
 */
public record Structure(String source, long record, String id, int[] atomicNumbers, double[] positions, double energy, double[] forces)
        implements Serializable {

    public Structure(String source, long record, String id, Frame frame) {
        this(source, record, id, frame.atomicNumbers(), frame.positions(), frame.energy(), frame.forces());
    }

    public Frame frame() {
        return new Frame(atomicNumbers, positions, energy, forces);
    }

    public static final StructType PARQUET_SCHEMA = new StructType()
            .add("id", DataTypes.StringType, true)
            .add("elements", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add("positions", DataTypes.createArrayType(DataTypes.DoubleType, false), false)
            .add("energy", DataTypes.DoubleType, true)
            .add("forces", DataTypes.createArrayType(DataTypes.DoubleType, false), true);

    /** "file record N", the way errors and result rows name a structure. */
    public String where() {
        return source + " record " + record;
    }

    /** A Parquet row in the layout of {@link #PARQUET_SCHEMA} (labels null where the frame has none). */
    public Row toParquetRow() {
        Frame frame = frame();
        return RowValues.row(id, RowValues.ints(frame.atomicNumbers()), RowValues.doubles(frame.positions()),
                frame.hasEnergy() ? frame.energy() : null, frame.hasForces() ? RowValues.doubles(frame.forces()) : null);
    }

    /**
     * The structure in a Parquet row (columns by name; {@code energy}, {@code forces} and {@code id} may be missing),
     * checked: a malformed row is a {@link MalformedStructureException} naming {@code file} and {@code record}.
     */
    public static Structure fromParquetRow(Row row, String file, long record) {
        String where = file + " record " + record;
        try {
            List<Integer> z = RowValues.intList(row, "elements", where);
            List<Double> r = RowValues.doubleList(row, "positions", where);
            int n = z.size();
            if (n == 0) throw new MalformedStructureException(where, "no atoms (elements is empty)");
            if (r.size() != 3 * n) {
                throw new MalformedStructureException(where, "positions has " + r.size() + " values, expected 3 × " + n + " atoms = " + 3 * n);
            }
            int[] atomicNumbers = new int[n];
            for (int i = 0; i < n; i++) {
                Integer e = z.get(i);
                if (e == null || !Elements.isKnown(e)) throw new MalformedStructureException(where, "element " + i + " is " + e + ", not a known atomic number");
                atomicNumbers[i] = e;
            }
            double[] positions = RowValues.finite(r, "positions", where);
            double energy = Double.NaN;
            if (RowValues.has(row, "energy") && !row.isNullAt(row.fieldIndex("energy"))) {
                energy = ((Number) row.getAs("energy")).doubleValue();
                if (!Double.isFinite(energy)) throw new MalformedStructureException(where, "energy is " + energy);
            }
            double[] forces = null;
            if (RowValues.has(row, "forces") && !row.isNullAt(row.fieldIndex("forces"))) {
                List<Double> f = RowValues.doubleList(row, "forces", where);
                if (f.size() != 3 * n) throw new MalformedStructureException(where, "forces has " + f.size() + " values, expected " + 3 * n);
                forces = RowValues.finite(f, "forces", where);
            }
            String id = RowValues.has(row, "id") && !row.isNullAt(row.fieldIndex("id")) ? row.getAs("id").toString() : null;
            return new Structure(file, record, id, new Frame(atomicNumbers, positions, energy, forces));
        } catch (ClassCastException e) {
            throw new MalformedStructureException(where, "a column has the wrong type (" + e.getMessage() + "); expected " + PARQUET_SCHEMA.simpleString());
        }
    }
}
