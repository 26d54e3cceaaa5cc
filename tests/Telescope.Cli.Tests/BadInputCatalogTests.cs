using Telescope.Cli;
using Xunit;

namespace Telescope.Tests;

/// <summary>
/// The catalogue of bad inputs and faults across every command (issue: one error path): each must end in
/// one line that names the problem (the fragment), the documented exit code, no stack trace, and no
/// output folder. Study commands are tried twice, as given and with <c>--dry-run</c>, which must give
/// the same verdict. Placeholders: <c>{out}</c> a fresh folder that must stay absent, <c>{file}</c> a
/// regular file, <c>{dir}</c> a scratch folder, <c>{spec:NAME}</c> a sweep file, <c>{csv:NAME}</c> a
/// folder holding one table, <c>{fsx:NAME}</c> / <c>{csx:NAME}</c> a script.
/// </summary>
public sealed class BadInputCatalogTests : IDisposable
{
    private readonly string _dir = Path.Combine(
        Path.GetTempPath(),
        "telescope-bad-" + Guid.NewGuid().ToString("N")
    );

    public BadInputCatalogTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, true);
    }

    private const int Bad = TelescopeCli.BadInput;

    /// <summary>Tiny valid studies: a case adds or replaces one option.</summary>
    private static readonly Dictionary<string, string> Base = new()
    {
        ["approximation"] =
            "--dataset synthetic --train 40 --test 20 --width 8 --optimizer sgd --lr 0.1 --steps 3 --threads 1",
        ["grokking"] =
            "--dim 10 --units 20 --train 30 --test 20 --probe-test 10 --steps 3 --threads 1",
        ["double-descent"] = "--width 2 --steps 3 --train 30 --test 30 --threads 1",
        ["gbt-vs-nn"] =
            "--rows 600 --train 300 --validation 100 --test-size 50 --epochs 1 --lr 0.01 --depth 2 --eta 0.1 --trees 3 --seed 0 --threads 1",
        ["lmc"] =
            "--steps 4 --spawns 0 --children 2 --alphas 3 --eval-images 16 --gradient-images 8 --gradient-lag 1 --gradient-steps 0 --channels 2,2 --threads 1",
        ["attribution-ladder"] =
            "--train 20 --test 2 --candidates 3 --subsets 3 --epochs 1 --batch 8 --hidden 4 --optimizer sgd --tracin 1 --seed 0 --threads 1",
    };

    private static readonly string Thousand = string.Join(",", Enumerable.Range(1, 1000)); // before Specs: textual order

    private static readonly Dictionary<string, string> Specs = new()
    {
        ["dupkey"] =
            """{"name":"a","name":"b","command":["study","approximation"],"grid":{"--lr":[0.1]}}""",
        ["dotdot"] = """{"name":"..","command":["study","approximation"],"grid":{"--lr":[0.1]}}""",
        ["dotname"] =
            """{"name":".hidden","command":["study","approximation"],"grid":{"--lr":[0.1]}}""",
        ["slash"] = """{"name":"a/b","command":["study","approximation"],"grid":{"--lr":[0.1]}}""",
        ["dupvalue"] =
            """{"name":"a","command":["study","approximation"],"grid":{"--lr":[0.1,0.1]}}""",
        ["nogrid"] = """{"name":"a","command":["study","approximation"]}""",
        ["emptygrid"] = """{"name":"a","command":["study","approximation"],"grid":{}}""",
        ["badkey"] = """{"name":"a","command":["study","approximation"],"grid":{"lr":[0.1]}}""",
        ["unknown"] =
            """{"name":"a","command":["study","approximation"],"grid":{"--lr":[0.1]},"extra":1}""",
        ["nocommand"] = """{"name":"a","grid":{"--lr":[0.1]}}""",
        ["sweepcmd"] = """{"name":"a","command":["sweep"],"grid":{"--lr":[0.1]}}""",
        ["seedgrid"] =
            """{"name":"a","command":["study","approximation"],"grid":{"--seed":[1,2]}}""",
        ["outgrid"] = """{"name":"a","command":["study","approximation"],"grid":{"--out":["x"]}}""",
        ["badseeds"] =
            """{"name":"a","command":["study","approximation"],"grid":{"--lr":[0.1]},"seeds":[0.5]}""",
        ["emptyseeds"] =
            """{"name":"a","command":["study","approximation"],"grid":{"--lr":[0.1]},"seeds":[]}""",
        ["notjson"] = """{"name": "a", """,
        ["array"] = """[1,2]""",
        ["badbase"] =
            """{"name":"a","command":["study","approximation"],"base":{"--x":[1]},"grid":{"--lr":[0.1]}}""",
        ["badthreads"] =
            """{"name":"a","command":["study","approximation"],"grid":{"--lr":[0.1]},"threads_per_job":0}""",
        ["badoption"] =
            """{"name":"a","command":["study","approximation"],"base":{"--dataset":"synthetic"},"grid":{"--no-such":[1]}}""",
        ["badvalue"] =
            """{"name":"a","command":["study","approximation"],"base":{"--dataset":"synthetic"},"grid":{"--lr":["fast"]}}""",
        ["good"] =
            """{"name":"good","command":["study","approximation"],"base":{"--dataset":"synthetic"},"grid":{"--lr":[0.1]}}""",
        // four options × 1,000 values: 10¹² jobs, enumerated before any check (the process grew until it died)
        ["hugegrid"] =
            $$$"""{"name":"a","command":["study","approximation"],"grid":{"--steps":[{{{Thousand}}}],"--batch":[{{{Thousand}}}],"--width":[{{{Thousand}}}],"--train":[{{{Thousand}}}]}}""",
    };

    private static readonly Dictionary<string, string> Tables = new()
    {
        ["ragged"] = "study,run,value\na,b\n",
        ["unclosed"] = "study,run,value\na,\"b,1\n",
        ["empty"] = "",
        ["good"] =
            "study,run,seed,step,split,example,output,quantity,value\ns,r,0,1,train,,,loss,0.5\n",
    };

    private static readonly Dictionary<string, string> Scripts = new()
    {
        ["compile"] = "let x : int = \"a\"\n",
        ["throws"] = "let f () : unit = failwith \"boom\"\n\nf ()\n",
        ["csxcompile"] = "int x = \"a\";\n",
        ["csxthrows"] = "throw new System.Exception(\"boom\");\n",
    };

    /// <summary>(what, command line, exit code, a fragment of the last stderr line).</summary>
    public static TheoryData<string, string, int, string> Cases()
    {
        var d = new TheoryData<string, string, int, string>();
        void Study(
            string study,
            string what,
            string option,
            string value,
            string fragment,
            int code = Bad
        )
        {
            var args = Replace(Base[study], option, value);
            var to = option == "--out" ? "" : " --out {out}";
            d.Add($"{study}: {what}", $"study {study} {args}{to}", code, fragment);
        }
        foreach (var s in Base.Keys)
        {
            Study(s, "seed not an integer", "--seed", "x", "not a seed");
            Study(s, "reversed seed range", "--seed", "3..1", "not a seed range");
            Study(s, "huge seed range", "--seed", "0..2000000000", "at most 10000");
            Study(s, "empty seed", "--seed", "''", "empty value");
            Study(s, "negative threads", "--threads", "-1", "--threads must be ≥ 0");
            Study(s, "threads over the cap", "--threads", "100000", "--threads must be at most");
            Study(s, "threads not a number", "--threads", "many", "many");
            Study(s, "unknown device", "--device", "tpu", "--device");
            Study(s, "unavailable device", "--device", "cuda", "--device");
            Study(
                s,
                "negative checkpoint interval",
                "--checkpoint-every",
                "-1",
                "--checkpoint-every must be ≥ 0"
            );
            Study(s, "unknown option", "--no-such-option", "1", "'--no-such-option'");
            Study(s, "out is a file", "--out", "{file}", "is a file, not a folder");
            Study(s, "out under a file", "--out", "{file}/sub", "so no folder can be made");
        }
        foreach (var s in new[] { "approximation", "grokking", "double-descent" })
        {
            Study(s, "zero steps", "--steps", "0", "--steps");
            Study(s, "negative steps", "--steps", "-5", "--steps");
            Study(s, "steps not an integer", "--steps", "ten", "ten");
            Study(s, "steps overflow", "--steps", "99999999999999", "99999999999999");
            Study(s, "learning rate not a number", "--lr", "fast", "'fast'");
            Study(s, "zero learning rate", "--lr", "0", "learning rate");
            Study(s, "negative learning rate", "--lr", "-0.1", "learning rate");
            Study(s, "infinite learning rate", "--lr", "Infinity", "finite");
            Study(s, "NaN learning rate", "--lr", "NaN", "NaN");
            Study(s, "empty learning rate", "--lr", "''", "--lr");
            Study(s, "zero training rows", "--train", "0", "train");
            Study(s, "bad dtype", "--dtype", "float16", "--dtype");
        }
        Study("approximation", "unknown dataset", "--dataset", "cifar", "dataset 'cifar'");
        Study("approximation", "unknown model", "--model", "transformer", "model 'transformer'");
        Study(
            "approximation",
            "unknown optimizer",
            "--optimizer",
            "rmsprop",
            "optimizer 'rmsprop'"
        );
        Study("approximation", "empty optimizer", "--optimizer", "''", "--optimizer: empty value");
        Study("approximation", "bad jvp method", "--jvp", "finite-differences", "--jvp");
        Study("approximation", "zero batch", "--batch", "0", "batch");
        Study("approximation", "zero test rows", "--test", "0", "test");
        Study("approximation", "zero width", "--width", "0", "width");
        Study("approximation", "width not a number", "--width", "wide", "wide");
        Study("approximation", "negative weight decay", "--weight-decay", "-1", "weight");
        Study("approximation", "zero alpha", "--alpha", "0", "alpha");
        Study("approximation", "negative record-every", "--record-every", "-1", "--record-every");
        Study(
            "approximation",
            "negative record-examples",
            "--record-examples",
            "-1",
            "--record-examples"
        );
        Study("grokking", "zero dimension", "--dim", "0", "d");
        Study("grokking", "zero units", "--units", "0", "units");
        Study("grokking", "unknown task", "--task", "cifar", "cifar");
        Study("grokking", "zero probe-test", "--probe-test", "0", "probe");
        Study("grokking", "probe larger than test", "--probe-test", "1000", "probe");
        Study("grokking", "negative epsilon", "--epsilon", "-1", "epsilon");
        Study("double-descent", "unknown preset", "--preset", "huge", "preset");
        Study("double-descent", "zero width", "--width", "0", "width");
        Study("double-descent", "label noise above 1", "--label-noise", "1.5", "label noise");
        Study("double-descent", "negative label noise", "--label-noise", "-0.1", "label noise");
        Study("double-descent", "unknown activation", "--activation", "swish", "activation");
        Study("double-descent", "resolution below 2", "--side", "1", "--side");
        Study("double-descent", "resolution above 28", "--side", "29", "--side");
        Study("double-descent", "unknown input scaling", "--inputs", "whitened", "--inputs");
        Study("double-descent", "zero alpha", "--alpha", "0", "--alpha");
        Study("double-descent", "unknown stop rule", "--stop", "never", "--stop");
        Study("double-descent", "zero patience", "--patience", "0", "--patience");
        Study("double-descent", "width above the bound", "--width", "5001", "--width");
        Study("gbt-vs-nn", "zero rows", "--rows", "0", "rows");
        Study("gbt-vs-nn", "train larger than rows", "--train", "100000", "train");
        Study("gbt-vs-nn", "validation larger than train", "--validation", "100000", "validation");
        Study("gbt-vs-nn", "first share not 0", "--shares", "0.2,0.4", "shares");
        Study("gbt-vs-nn", "share above 1", "--shares", "0,1.5", "share 1.5");
        Study("gbt-vs-nn", "zero epochs", "--epochs", "0", "epochs");
        Study("gbt-vs-nn", "zero depth", "--depth", "0", "depth");
        Study("gbt-vs-nn", "zero trees", "--trees", "0", "trees");
        Study("gbt-vs-nn", "negative eta", "--eta", "-0.1", "η > 0");
        Study("gbt-vs-nn", "zero kernel-every", "--kernel-every", "0", "kernel-every");
        Study("gbt-vs-nn", "lr not a number", "--lr", "fast", "'fast' is not a number");
        Study("lmc", "float64", "--dtype", "float64", "float32");
        Study("lmc", "zero steps", "--steps", "0", "steps");
        Study("lmc", "one child", "--children", "1", "children");
        Study("lmc", "one alpha", "--alphas", "1", "alphas");
        Study("lmc", "spawn after the end", "--spawns", "99", "spawn");
        Study("lmc", "unknown model", "--models", "resnet", "resnet");
        Study("lmc", "empty models", "--models", "''", "--models: empty value");
        Study("lmc", "missing data folder", "--data", "{dir}/no-such-folder", "no-such-folder");
        Study("lmc", "odd channels", "--channels", "4", "channels");
        const string ladder = "attribution-ladder";
        Study(ladder, "unknown preset", "--preset", "huge", "--preset: unknown preset 'huge'");
        Study(ladder, "unknown replay engine", "--replay-engine", "gpu", "unknown engine 'gpu'");
        Study(
            ladder,
            "unknown influence curvature",
            "--influence",
            "kfac",
            "--influence: unknown curvature 'kfac'"
        );
        Study(
            ladder,
            "candidates above train",
            "--candidates",
            "30",
            "--candidates must be in 3..train (20), got 30"
        );
        Study(ladder, "two subsets", "--subsets", "2", "--subsets must be ≥ 3");
        Study(
            ladder,
            "optimizer outside the ladder",
            "--optimizer",
            "nesterov",
            "not part of the attribution ladder"
        );
        Study(
            ladder,
            "zero sgd rate",
            "--sgd-lr",
            "0",
            "--sgd-lr: learning rate must be a positive finite number, got 0"
        );
        Study(
            ladder,
            "negative sgd rate",
            "--sgd-lr",
            "-1",
            "--sgd-lr: learning rate must be a positive finite number"
        );
        Study(ladder, "zero epochs", "--epochs", "0", "--epochs");
        Study(ladder, "zero test rows", "--test", "0", "--test must be ≥ 1");
        Study(ladder, "more rows than MNIST", "--train", "9999", "train + test ≤ 10000");
        Study(
            ladder,
            "zero parallel replays",
            "--parallel-replays",
            "0",
            "--parallel-replays must be ≥ 1"
        );
        Study(
            ladder,
            "zero replay checkpoint",
            "--replay-checkpoint",
            "0",
            "--replay-checkpoint must be ≥ 1"
        );
        Study(ladder, "zero tracin", "--tracin", "0", "--tracin");
        // issue 24's bounds, the ladder's (each accepted by --dry-run before this stop: a 784×10⁸ weight matrix, 10⁸ TracIn steps)
        Study(
            ladder,
            "width above the bound",
            "--hidden",
            "100000000",
            "--hidden must be ≤ 10000, got 100000000"
        );
        Study(
            ladder,
            "parallel replays above the bound",
            "--parallel-replays",
            "100000",
            "--parallel-replays must be ≤"
        );
        Study(
            ladder,
            "more TracIn checkpoints than steps",
            "--tracin",
            "100000000",
            "--tracin must be ≤ 3, got 100000000"
        );
        Study(
            ladder,
            "subsets above the bound",
            "--subsets",
            "2000000000",
            "exceed the bound of 5e7 replayed steps"
        );

        // issue 24: every input that scales memory or time has a declared bound (Telescope.Hosting.StudyLimits),
        // checked before work starts — each of these was accepted by --dry-run and then ran out of memory or time
        var layers = string.Join(",", Enumerable.Repeat("8", 101));
        Study(
            "approximation",
            "width above the bound",
            "--width",
            "1000000000",
            "--width must be ≤ 10000, got 1000000000"
        );
        Study(
            "approximation",
            "too many layers",
            "--width",
            layers,
            "--width: 101 hidden layers; at most 100"
        );
        Study(
            "approximation",
            "rows above the bound",
            "--train",
            "2000000000",
            "--train + --test must be ≤ 1000000"
        );
        Study(
            "approximation",
            "steps above the bound",
            "--steps",
            "2000000000",
            "--steps must be ≤ 1000000, got 2000000000"
        );
        Study(
            "grokking",
            "dimension above the bound",
            "--dim",
            "1000000000",
            "--dim must be ≤ 10000, got 1000000000"
        );
        Study(
            "grokking",
            "units above the bound",
            "--units",
            "1000000000",
            "--units must be ≤ 10000, got 1000000000"
        );
        Study(
            "grokking",
            "steps above the bound",
            "--steps",
            "2000000000",
            "--steps must be ≤ 1000000, got 2000000000"
        );
        Study(
            "grokking",
            "rows above the bound",
            "--train",
            "2000000000",
            "--train + --test must be ≤ 1000000"
        );
        d.Add(
            "grokking: data matrix above the bound",
            "study grokking --dim 10000 --units 20 --train 20000 --test 20 --probe-test 10 --steps 3 --threads 1 --out {out}",
            Bad,
            "numbers; at most 100000000"
        );
        Study(
            "gbt-vs-nn",
            "rows above the bound",
            "--rows",
            "2000000000",
            "--rows must be ≤ 1000000, got 2000000000"
        );
        Study(
            "gbt-vs-nn",
            "NN steps above the bound",
            "--epochs",
            "1000000000",
            "NN steps; at most 1000000"
        );
        Study(
            "gbt-vs-nn",
            "depth above the bound",
            "--depth",
            "60",
            "--depth must be ≤ 20, got 60"
        );
        Study(
            "gbt-vs-nn",
            "trees above the bound",
            "--trees",
            "1000000000",
            "--trees must be ≤ 10000, got 1000000000"
        );
        Study(
            "gbt-vs-nn",
            "train near int.MaxValue",
            "--train",
            "2147483600",
            "--train 2147483600 plus"
        );
        Study(
            "lmc",
            "steps above the bound",
            "--steps",
            "2000000000",
            "--steps must be ≤ 1000000, got 2000000000"
        );
        Study(
            "lmc",
            "children above the bound",
            "--children",
            "1000000000",
            "--children must be ≤ 10000, got 1000000000"
        );
        Study(
            "lmc",
            "alphas above the bound",
            "--alphas",
            "1000000000",
            "--alphas must be ≤ 10000, got 1000000000"
        );
        Study(
            "lmc",
            "channels above the bound",
            "--channels",
            "1000000000,2",
            "--channels must be ≤ 1024, got 1000000000"
        );
        // an unknown option after a list option was read as one of its values ("--lr: '--no-such' is not a number")
        Study(
            "approximation",
            "unknown option after a list",
            "--lr",
            "0.1 --no-such 1",
            "argument '--no-such'"
        );

        // theory
        foreach (
            var (r, p) in new[]
            {
                ("sigmoid", "S"),
                ("gamma-plus", "p"),
                ("scaling", "alpha"),
                ("linear", "trials"),
            }
        )
        {
            d.Add(
                $"theory {r}: unknown parameter",
                $"theory {r} --param nosuch=1 --out {{out}}",
                Bad,
                "nosuch"
            );
            d.Add($"theory {r}: not key=value", $"theory {r} --param {p} --out {{out}}", Bad, p);
            d.Add(
                $"theory {r}: value not a number",
                $"theory {r} --param {p}=abc --out {{out}}",
                Bad,
                "abc"
            );
            d.Add(
                $"theory {r}: value out of range",
                $"theory {r} --param {p}=1e9 --out {{out}}",
                Bad,
                p
            );
            d.Add($"theory {r}: NaN", $"theory {r} --param {p}=NaN --out {{out}}", Bad, p);
            d.Add($"theory {r}: out is a file", $"theory {r} --out {{file}}", Bad, "file");
        }
        d.Add("theory: unknown result", "theory nosuch", Bad, "nosuch");

        // bench
        foreach (var b in new[] { "telescoping", "ntk", "soak", "ntk-large", "peer" })
        {
            d.Add(
                $"bench {b}: a seed (benchmarks take none)",
                $"bench {b} --seed 1 --out {{out}}",
                Bad,
                "--seed"
            );
            d.Add(
                $"bench {b}: --resume (nothing to resume)",
                $"bench {b} --resume --out {{out}}",
                Bad,
                "--resume"
            );
            d.Add(
                $"bench {b}: negative threads",
                $"bench {b} --threads -1 --out {{out}}",
                Bad,
                "--threads"
            );
            d.Add(
                $"bench {b}: threads over the cap",
                $"bench {b} --threads 100000 --out {{out}}",
                Bad,
                "--threads must be at most"
            );
            // soak runs on the CPU in float64 only and peer on the CPU in float32 only: they take no --device
            // (rather than ignore it); ntk-large states its requirement as a parameter (cpu only)
            d.Add(
                $"bench {b}: unknown device",
                $"bench {b} --device tpu --out {{out}}",
                Bad,
                b switch
                {
                    "soak" or "peer" => "Unrecognized command or argument '--device'",
                    "ntk-large" => "--device: unknown 'tpu'",
                    _ => "unknown device",
                }
            );
        }
        d.Add(
            "bench soak: a dtype (it has none)",
            "bench soak --dtype float32 --out {out}",
            Bad,
            "--dtype"
        );
        d.Add(
            "bench telescoping: zero points",
            "bench telescoping --points 0 --out {out}",
            Bad,
            "points"
        );
        d.Add(
            "bench telescoping: zero repeats",
            "bench telescoping --repeats 0 --out {out}",
            Bad,
            "repeats"
        );
        d.Add("bench ntk: zero points", "bench ntk --points 0 --out {out}", Bad, "points");
        // issue 24: bounded before work (an OutOfMemoryException, or a kernel of N² numbers that never fits)
        d.Add(
            "bench telescoping: repeats above the bound",
            "bench telescoping --repeats 2000000000 --out {out}",
            Bad,
            "--repeats must be ≤ 10000"
        );
        d.Add(
            "bench ntk: points above the bound",
            "bench ntk --points 2000000000 --out {out}",
            Bad,
            "--points must be ≤ 20000"
        );
        foreach (
            var (what, args, fragment) in new[]
            {
                ("negative points", "--points -5", "--points must be ≥ 1, got -5"),
                ("zero block", "--block 0", "--block must be ≥ 1, got 0"),
                ("negative block", "--block -100", "--block must be ≥ 1"),
                ("negative check rows", "--check-rows -1", "--check-rows must be ≥ 0, got -1"),
                ("points not an integer", "--points many", "'many' is not an integer"),
                ("on cuda", "--device cuda", "runs on the CPU only"),
                ("bad dtype", "--dtype float16", "--dtype: unknown 'float16'"),
            }
        )
            d.Add(
                $"bench ntk-large: {what}",
                $"bench ntk-large {args} --out {{out}}",
                Bad,
                fragment
            );
        foreach (
            var (what, args, fragment) in new[]
            {
                ("negative points", "--points -1", "--points must be ≥ 1, got -1"),
                ("zero NTK points", "--ntk-points 0", "--ntk-points must be ≥ 1, got 0"),
                ("negative grad points", "--grad-points -3", "--grad-points must be ≥ 1, got -3"),
                ("unknown op", "--ops jvp,hessian", "--ops: unknown operation(s) hessian"),
                ("empty op", "--ops jvp,", "--ops: empty value"),
                ("zero thread count", "--threads 1,0", "--threads: thread counts must be positive"),
                ("thread count not a number", "--threads 1,x", "--threads: 'x' is not a number"),
                ("thread count over the cap", "--threads 1,100000", "--threads must be at most"),
                ("zero budget", "--budget 0", "--budget must be > 0"),
                ("NaN budget", "--budget NaN", "--budget"),
                ("zero min repeats", "--min-repeats 0", "--min-repeats must be ≥ 1"),
                ("max below min repeats", "--min-repeats 9 --max-repeats 3", "--max-repeats"),
                ("empty python", "--python ''", "--python: empty value"),
                ("a dtype (float32 only)", "--dtype float64", "'--dtype'"),
            }
        )
            d.Add($"bench peer: {what}", $"bench peer {args} --out {{out}}", Bad, fragment);

        // sweep
        foreach (
            var (name, fragment) in new[]
            {
                ("dupkey", "name"),
                ("dotdot", "not starting with '.'"),
                ("dotname", "not starting with '.'"),
                ("slash", "\"name\""),
                ("dupvalue", "lists 0.1 2 times"),
                ("nogrid", "\"grid\""),
                ("emptygrid", "\"grid\""),
                ("badkey", "grid key \"lr\""),
                ("unknown", "unknown key \"extra\""),
                ("nocommand", "\"command\""),
                ("sweepcmd", "cannot be `sweep`"),
                ("seedgrid", "set by the sweep itself"),
                ("outgrid", "set by the sweep itself"),
                ("badseeds", "\"seeds\""),
                ("emptyseeds", "\"seeds\""),
                ("notjson", "not valid JSON"),
                ("array", "must be a JSON object"),
                ("badbase", "\"base\""),
                ("badthreads", "threads_per_job"),
                ("badoption", "--no-such"),
                ("badvalue", "fast"),
                ("hugegrid", "the grid and seeds make 1E+12 jobs; at most 10000 in one sweep"),
            }
        )
            d.Add($"sweep: {name}", $"sweep {{spec:{name}}} --out {{out}}", Bad, fragment);
        d.Add("sweep: missing file", "sweep {dir}/none.json --out {out}", Bad, "not found");
        d.Add(
            "sweep: unknown backend",
            "sweep {spec:good} --backend cloud --out {out}",
            Bad,
            "--backend"
        );
        d.Add(
            "sweep: negative workers",
            "sweep {spec:good} --workers -1 --out {out}",
            Bad,
            "--workers"
        );
        d.Add(
            "sweep: task out of range",
            "sweep {spec:good} --task 99 --out {out}",
            Bad,
            "--task 99"
        );
        d.Add("sweep: out is a file", "sweep {spec:good} --out {file}", Bad, "is a file");

        // report
        d.Add("report: ragged table", "report --in {csv:ragged} --out {out}/r.html", Bad, ":2:");
        d.Add(
            "report: unclosed quote",
            "report --in {csv:unclosed} --out {out}/r.html",
            Bad,
            "quoted cell"
        );
        d.Add("report: empty table", "report --in {csv:empty} --out {out}/r.html", Bad, "empty");
        d.Add("report: missing folder", "report --in {dir}/none --out {out}/r.html", Bad, "none");
        d.Add(
            "report: out under a file",
            "report --in {csv:good} --out {file}/r.html",
            Bad,
            "is a file"
        );

        // script
        d.Add("script: missing file", "script {dir}/none.fsx", Bad, "none.fsx");
        d.Add("script: unknown extension", "script {file}", Bad, ".fsx or .csx");
        d.Add(
            "script: fsx compile error",
            "script {fsx:compile}",
            TelescopeCli.RunFailed,
            "compile error"
        );
        d.Add(
            "script: fsx throws",
            "script {fsx:throws}",
            TelescopeCli.RunFailed,
            "throws.fsx failed"
        );
        d.Add(
            "script: csx compile error",
            "script {csx:csxcompile}",
            TelescopeCli.RunFailed,
            "compile error"
        );
        d.Add("script: csx throws", "script {csx:csxthrows}", TelescopeCli.RunFailed, "boom");

        // the command line itself
        d.Add("no command", "nonsense", Bad, "nonsense");
        d.Add("study without a name", "study nonsense", Bad, "nonsense");
        return d;
    }

    private static string Replace(string args, string option, string value)
    {
        var parts = args.Split(' ').ToList();
        var at = parts.IndexOf(option);
        if (at >= 0)
            parts[at + 1] = value;
        else
            parts.AddRange([option, value]);
        return string.Join(' ', parts);
    }

    private string[] Expand(string line, string outDir)
    {
        var file = Path.Combine(_dir, "a-file.txt");
        File.WriteAllText(file, "a regular file\n");
        return line.Split(' ')
            .Select(a =>
            {
                if (a == "''")
                    return "";
                a = a.Replace("{out}", outDir).Replace("{file}", file).Replace("{dir}", _dir);
                if (a.StartsWith("{spec:"))
                {
                    var name = a[6..^1];
                    var p = Path.Combine(_dir, name + ".json");
                    File.WriteAllText(p, Specs[name]);
                    return p;
                }
                if (a.StartsWith("{csv:"))
                {
                    var name = a[5..^1];
                    var dir = Path.Combine(_dir, "csv-" + name);
                    Directory.CreateDirectory(dir);
                    File.WriteAllText(Path.Combine(dir, "t.csv"), Tables[name]);
                    return dir;
                }
                if (a.StartsWith("{fsx:") || a.StartsWith("{csx:"))
                {
                    var name = a[5..^1];
                    var p = Path.Combine(_dir, name + "." + a[1..4]);
                    File.WriteAllText(p, Scripts[name]);
                    return p;
                }
                return a;
            })
            .ToArray();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void IsOneLineWithItsExitCodeAndLeavesNothing(
        string what,
        string line,
        int code,
        string fragment
    )
    {
        var dry =
            line.StartsWith("study ", StringComparison.Ordinal)
            && line.Contains(" --", StringComparison.Ordinal)
                ? new[] { true, false } // the dry run first: it must refuse without any work
                : [false];
        foreach (var d in dry)
        {
            var outDir = Path.Combine(_dir, "out-" + Guid.NewGuid().ToString("N")[..6]);
            var args = Expand(line, outDir);
            if (d)
                args = [.. args, "--dry-run"];
            var (got, _, err) = Fixtures.RunCli(args);
            var lines = err.Split(
                '\n',
                StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries
            );
            var verdict = lines.LastOrDefault() ?? "";
            Assert.True(
                got == code,
                $"{what}{(d ? " (dry-run)" : "")}: exit {got}, expected {code}: {err}"
            );
            Assert.True(
                verdict.StartsWith("telescope: ", StringComparison.Ordinal),
                $"{what}: last line is not the verdict: {err}"
            );
            Assert.True(
                verdict.Contains(fragment, StringComparison.Ordinal),
                $"{what}: '{fragment}' not in: {verdict}"
            );
            // a script that throws shows its own stack (the user's code, file:line); nothing else may
            if (!what.EndsWith(" throws", StringComparison.Ordinal))
                Assert.False(
                    err.Contains("   at ", StringComparison.Ordinal),
                    $"{what}: a stack trace: {err}"
                );
            Assert.False(Directory.Exists(outDir), $"{what}: {outDir} was created");
        }
    }
}
