// Apache Jena as a client of tscgraph, for what Jena's command-line tools do not do (tests/test_client_jena.py).
// Run as a single source file: java -cp <the Jena jars> tests/clients/JenaClient.java COMMAND ARGS…
//   graph [--accept A] URL…   read each URL as one graph, as a Model does (RIOT with its own Accept, or A; of a
//                            dataset syntax it keeps the default graph: "named graph data ignored"); write each
//                            as "# URL" then its N-Triples
//   shapes FILE…             load each shapes file alone, with its owl:imports (org.apache.jena.shacl.Imports),
//                            and parse its shapes; write "# FILE" then the count of shapes with targets
//   shacl SHAPES,… EXTRA DATA…  the union of the shapes files (each with its imports) validates each DATA file with
//                            EXTRA (a file of vocabularies, or "-") beside it; write "# DATA" then the report
import java.util.Arrays;

import org.apache.jena.graph.Graph;
import org.apache.jena.graph.GraphUtil;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFDataMgr;
import org.apache.jena.riot.RDFParser;
import org.apache.jena.riot.RDFParserBuilder;
import org.apache.jena.shacl.Imports;
import org.apache.jena.shacl.ShaclValidator;
import org.apache.jena.shacl.Shapes;
import org.apache.jena.shacl.ValidationReport;
import org.apache.jena.sparql.graph.GraphFactory;
import org.apache.jena.sys.JenaSystem;

public class JenaClient {
    public static void main(String[] args) {
        JenaSystem.init();
        switch (args[0]) {
            case "graph" -> {
                String accept = null;
                for (int i = 1; i < args.length; i++) {
                    if (args[i].equals("--accept")) {
                        accept = args[++i];
                        continue;
                    }
                    RDFParserBuilder parser = RDFParser.source(args[i]);
                    if (accept != null) {
                        parser.acceptHeader(accept);
                    }
                    Graph graph = GraphFactory.createDefaultGraph();
                    parser.parse(graph);
                    System.out.println("# " + args[i]);
                    RDFDataMgr.write(System.out, graph, Lang.NTRIPLES);
                    accept = null;
                }
            }
            case "shapes" -> {
                for (String file : Arrays.copyOfRange(args, 1, args.length)) {
                    Shapes shapes = Shapes.parse(Imports.loadWithImports(file));
                    System.out.println("# " + file);
                    System.out.println(shapes.getTargetShapes().size());
                }
            }
            case "shacl" -> {
                Graph union = GraphFactory.createDefaultGraph();
                for (String file : args[1].split(",")) {
                    GraphUtil.addInto(union, Imports.loadWithImports(file));
                }
                Shapes shapes = Shapes.parse(union);
                for (String file : Arrays.copyOfRange(args, 3, args.length)) {
                    Graph data = GraphFactory.createDefaultGraph();
                    RDFDataMgr.read(data, file);
                    if (!args[2].equals("-")) {
                        RDFDataMgr.read(data, args[2]);
                    }
                    ValidationReport report = ShaclValidator.get().validate(shapes, data);
                    System.out.println("# " + file);
                    RDFDataMgr.write(System.out, report.getGraph(), Lang.NTRIPLES);
                }
            }
            default -> throw new IllegalArgumentException("unknown command " + args[0]);
        }
    }
}
