package org.gaq.cli;

import org.gaq.data.Units;
import org.gaq.data.DataSource;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** The data options shared by every command that reads molecules. */
public final class DataOptions {
    @Option(names = "--data", required = true, paramLabel = "SPEC",
            description = "rmd17:<molecule> (e.g. rmd17:ethanol), qm9, or a path to an rMD17-style .npz or extended-XYZ file")
    String spec;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "folder holding rmd17/ and qm9/ (default: $GAQ_DATA_DIR, else ../shared/data)")
    Path dataDir;

    @Option(names = "--xyz-energy-unit", paramLabel = "UNIT", defaultValue = "eV",
            description = "energy unit of an extended-XYZ file: eV, meV, kcal/mol, kJ/mol, hartree (default: ${DEFAULT-VALUE})")
    String xyzEnergyUnit;

    DataSource.Source resolve() throws IOException {
        return DataSource.resolve(spec, dataDir).withXyzEnergyUnit(Units.EnergyUnit.parse(xyzEnergyUnit));
    }
}
