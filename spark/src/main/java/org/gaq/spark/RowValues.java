package org.gaq.spark;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import scala.collection.Seq;
import scala.jdk.javaapi.CollectionConverters;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/** Conversions between Java arrays and the values of Spark rows (array columns arrive as Scala sequences). */
final class RowValues {
    private RowValues() {}

    static Row row(Object... values) {
        return RowFactory.create(values);
    }

    static Integer[] ints(int[] a) {
        return Arrays.stream(a).boxed().toArray(Integer[]::new);
    }

    static Double[] doubles(double[] a) {
        return Arrays.stream(a).boxed().toArray(Double[]::new);
    }

    static Double[] doubles(float[] a, int from, int length) {
        Double[] out = new Double[length];
        for (int i = 0; i < length; i++) out[i] = (double) a[from + i];
        return out;
    }

    static boolean has(Row row, String column) {
        return row.schema() != null && Arrays.asList(row.schema().fieldNames()).contains(column);
    }

    static List<Integer> intList(Row row, String column, String where) {
        return list(row, column, where);
    }

    static List<Double> doubleList(Row row, String column, String where) {
        return list(row, column, where);
    }

    static double[] finite(List<Double> values, String column, String where) {
        double[] out = new double[values.size()];
        for (int i = 0; i < out.length; i++) {
            Double v = values.get(i);
            if (v == null || !Double.isFinite(v)) throw new MalformedStructureException(where, column + "[" + i + "] is " + v);
            out[i] = v;
        }
        return out;
    }

    static double[] toDoubles(Row row, String column) {
        List<Double> values = list(row, column, "");
        double[] out = new double[values.size()];
        for (int i = 0; i < out.length; i++) out[i] = values.get(i);
        return out;
    }

    @SuppressWarnings("unchecked")
    private static <T> List<T> list(Row row, String column, String where) {
        if (!has(row, column)) throw new MalformedStructureException(where, "no column '" + column + "'");
        int i = row.fieldIndex(column);
        if (row.isNullAt(i)) throw new MalformedStructureException(where, column + " is null");
        Object value = row.get(i);
        if (value instanceof Seq<?> seq) return new ArrayList<>((Collection<T>) CollectionConverters.asJava(seq));
        if (value instanceof List<?> l) return (List<T>) l;
        throw new MalformedStructureException(where, column + " is a " + value.getClass().getSimpleName() + ", not an array");
    }
}
