package org.gaq.model;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.function.Function;

/**
 * Where quantization may act in the model, declared once: the activation sites and the weights of an interaction
 * layer. The model ({@link EquivariantTransformer}) passes its activations through {@link ActivationSites} under these
 * names; quantization (fake-quantized training, the integer export, the compiled engine) reads this table instead of
 * repeating them. In layer L a site is named {@code layers.L.<key>}, e.g. {@code layers.3.rbf_in}. The embedding and
 * the energy head have no sites: they stay FP32.
 *
 * <pre>
 *   activation site   kind    rows   what it is                                 read by the weights
 *   vector_in         vector  atoms  v entering the layer (not in layer 0: v = 0) vector_mix
 *   scalar_in         scalar  atoms  LayerNorm(h)                               query, key, value
 *   rbf_in            scalar  edges  radial basis of d_ij                       radial_filter, radial_bias
 *   attention_query   scalar  atoms  q̃ per head (normalised)                    —
 *   attention_key     scalar  atoms  k̃ per head (normalised)                    —
 *   scalar_message    scalar  atoms  Δh = Σ_j α m1                              output
 *   vector_message    vector  atoms  Δv = Σ_j α (m2 ⊙ v_j + m3 ⊗ r̂_ij)          —
 * </pre>
 */
public final class QuantizationSites {
    private QuantizationSites() {}

    public enum Kind { SCALAR, VECTOR }

    /** What a site's rows are: one per atom, or one per edge (the radial basis). */
    public enum Rows { ATOMS, EDGES }

    /** The activation sites of an interaction layer, in the order the forward pass reaches them. */
    public enum Activation {
        VECTOR_IN("vector_in", Kind.VECTOR, Rows.ATOMS),
        SCALAR_IN("scalar_in", Kind.SCALAR, Rows.ATOMS),
        RBF_IN("rbf_in", Kind.SCALAR, Rows.EDGES),
        ATTENTION_QUERY("attention_query", Kind.SCALAR, Rows.ATOMS),
        ATTENTION_KEY("attention_key", Kind.SCALAR, Rows.ATOMS),
        SCALAR_MESSAGE("scalar_message", Kind.SCALAR, Rows.ATOMS),
        VECTOR_MESSAGE("vector_message", Kind.VECTOR, Rows.ATOMS);

        private final String key;
        private final Kind kind;
        private final Rows rows;

        Activation(String key, Kind kind, Rows rows) {
            this.key = key;
            this.kind = kind;
            this.rows = rows;
        }

        /** The name after the layer prefix, e.g. "rbf_in". */
        public String key() { return key; }
        public Kind kind() { return kind; }
        public Rows rows() { return rows; }

        /** This site's name in layer {@code layer}: "layers.L.key". */
        public String in(int layer) {
            return layerPrefix(layer) + key;
        }

        /** True for a scalar site that a quantized weight reads: its per-channel steps can fold into the weight's rows. */
        public boolean feedsAWeight() {
            return kind == Kind.SCALAR && Arrays.stream(Weight.values()).anyMatch(w -> w.input() == this);
        }
    }

    /** The quantized weights of an interaction layer, each with the activation site it multiplies. */
    public enum Weight {
        QUERY("query.weight", Activation.SCALAR_IN),
        KEY("key.weight", Activation.SCALAR_IN),
        VALUE("value.weight", Activation.SCALAR_IN),
        VECTOR_MIX("vector_mix.weight", Activation.VECTOR_IN),
        RADIAL_FILTER("radial_filter.weight", Activation.RBF_IN),
        RADIAL_BIAS("radial_bias.weight", Activation.RBF_IN),
        OUTPUT("output.weight", Activation.SCALAR_MESSAGE);

        private final String key;
        private final Activation input;

        Weight(String key, Activation input) {
            this.key = key;
            this.input = input;
        }

        public String key() { return key; }

        /** The activation site whose output this weight multiplies. */
        public Activation input() { return input; }

        /** This weight's parameter name in layer {@code layer}: "layers.L.key". */
        public String in(int layer) {
            return layerPrefix(layer) + key;
        }
    }

    /** A named site or weight of one layer. */
    public record Located<T extends Enum<T>>(int layer, T what) {}

    /** The layer and weight of a quantized weight's parameter name ("layers.3.query.weight"); empty for any other name. */
    public static Optional<Located<Weight>> weight(String parameterName) {
        return parse(parameterName, Weight.class, Weight::key);
    }

    /** True for the weights quantization quantizes (the products inside the interaction layers). */
    public static boolean isQuantizedWeight(String parameterName) {
        return weight(parameterName).isPresent();
    }

    /** The layer and kind of an activation site's name ("layers.3.rbf_in"); empty for any other name. */
    public static Optional<Located<Activation>> activation(String siteName) {
        return parse(siteName, Activation.class, Activation::key);
    }

    /** The site of a key ("rbf_in"), or empty. */
    public static Optional<Activation> activationKey(String key) {
        return Arrays.stream(Activation.values()).filter(a -> a.key().equals(key)).findFirst();
    }

    /** The site keys, for messages: "vector_in, scalar_in, …". */
    public static String activationKeys() {
        return Arrays.stream(Activation.values()).map(Activation::key).collect(Collectors.joining(", "));
    }

    private static String layerPrefix(int layer) {
        return "layers." + layer + ".";
    }

    private static <T extends Enum<T>> Optional<Located<T>> parse(String name, Class<T> type, Function<T, String> key) {
        if (!name.startsWith("layers.")) return Optional.empty();
        int dot = name.indexOf('.', "layers.".length());
        if (dot < 0) return Optional.empty();
        int layer;
        try {
            layer = Integer.parseInt(name.substring("layers.".length(), dot));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        String rest = name.substring(dot + 1);
        for (T t : type.getEnumConstants()) {
            if (key.apply(t).equals(rest)) return Optional.of(new Located<>(layer, t));
        }
        return Optional.empty();
    }
}
