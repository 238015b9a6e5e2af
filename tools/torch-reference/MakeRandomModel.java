// A freshly initialised (untrained) gaq model, for check_agreement.py. Run with the source launcher:
//   $JAVA --add-modules jdk.incubator.vector -cp target/gaq.jar tools/torch-reference/MakeRandomModel.java \
//       OUT.safetensors [FEATURES LAYERS HEADS RBF CUTOFF COSINE SEED]
// Element shifts are set to rough per-atom energies of H, C, O (eV) so that energies are in the range
// of the rMD17 labels, and the scales to non-trivial values, so that both enter the check.
import org.gaq.model.Checkpoint;
import org.gaq.model.EquivariantTransformer;
import org.gaq.model.ModelConfig;

import java.nio.file.Path;

public class MakeRandomModel {
    public static void main(String[] a) throws Exception {
        ModelConfig c = a.length >= 8
                ? new ModelConfig(Integer.parseInt(a[1]), Integer.parseInt(a[2]), Integer.parseInt(a[3]),
                        Integer.parseInt(a[4]), Double.parseDouble(a[5]), Boolean.parseBoolean(a[6]), 18)
                : ModelConfig.paper();
        long seed = a.length >= 8 ? Long.parseLong(a[7]) : 7;
        EquivariantTransformer m = new EquivariantTransformer(c, seed);
        m.elementShift()[1] = -13.6f;
        m.elementShift()[6] = -1029.5f;
        m.elementShift()[7] = -1485.3f;
        m.elementShift()[8] = -2040.8f;
        m.elementScale()[1] = 0.7f;
        m.elementScale()[6] = 1.3f;
        m.elementScale()[7] = 1.1f;
        m.elementScale()[8] = 0.9f;
        Checkpoint.save(Path.of(a[0]), m);
        System.out.println("wrote " + a[0] + ": " + c + ", " + m.parameterCount() + " parameters");
    }
}
