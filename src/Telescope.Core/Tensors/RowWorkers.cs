using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Tensors;

/// <summary>
/// A row-wise computation on T intra-op threads run instead as T row blocks, each on its own persistent worker
/// thread at one intra-op thread: <c>F(X) = [F(X_1); …; F(X_T)]</c> when rows do not interact. A chain of small
/// GEMMs and elementwise ops at T OpenMP threads pays one wake-up of the sleeping team per op (the wait policy is
/// passive, so a shared machine is not spun on); the blocks pay two hand-offs per call. The block boundaries depend
/// only on N and T, so the same thread count gives the same bytes. Used by
/// <see cref="Models.Network.Tangent"/> on the CPU.
/// </summary>
public static class RowWorkers
{
    /// <summary>
    /// Fewest rows per block, so that a block's work outweighs its two hand-offs. Chosen, not tuned: the measured
    /// gain is at 500 rows per block (the bench MLP at N = 1000, 2 threads: 3.6–4.0 ms against 4.4–5.8 ms).
    /// </summary>
    public const int MinRowsPerBlock = 128;

    private sealed class Worker
    {
        public readonly SemaphoreSlim Go = new(0);
        public readonly SemaphoreSlim Done = new(0);
        public Action? Job;
        public Exception? Error;
    }

    private static readonly object Gate = new();
    private static readonly List<Worker> Pool = [];

    [ThreadStatic]
    private static bool _onWorker;

    /// <summary>
    /// Blocks for <paramref name="rows"/> rows at the current intra-op thread count: that count when it is above 1,
    /// the tensors are on the CPU and every block has at least <see cref="MinRowsPerBlock"/> rows; else 1 (run as is).
    /// </summary>
    public static int BlocksFor(long rows, Device device)
    {
        if (device.type != DeviceType.CPU)
            return 1;
        int t = torch.get_num_threads();
        return t > 1 && rows >= (long)t * MinRowsPerBlock ? t : 1;
    }

    /// <summary>Row range <c>[start, start + length)</c> of block <paramref name="b"/> of <paramref name="blocks"/> over <paramref name="rows"/> rows.</summary>
    public static (long start, long length) Block(long rows, int blocks, int b)
    {
        long start = rows * b / blocks,
            end = rows * (b + 1) / blocks;
        return (start, end - start);
    }

    /// <summary>
    /// <c>work(b)</c> for every block b &lt; <paramref name="blocks"/>, each on a worker at one intra-op thread; returns
    /// when all have ended, rethrowing the first failure. Tensors a job returns must be out of any dispose scope
    /// (the workers have none; the caller disposes them). Callers on several threads take turns; from a worker
    /// (already at one intra-op thread) the blocks run there one after another, with the same results.
    /// </summary>
    public static T[] Map<T>(int blocks, Func<int, T> work)
    {
        var results = new T[blocks];
        if (blocks <= 1 || _onWorker)
        {
            for (int b = 0; b < blocks; b++)
                results[b] = work(b);
            return results;
        }
        Monitor.Enter(Gate);
        try
        {
            while (Pool.Count < blocks)
                Pool.Add(Start());
            for (int b = 0; b < blocks; b++)
            {
                int i = b;
                var w = Pool[b];
                w.Error = null;
                w.Job = () => results[i] = work(i);
                w.Go.Release();
            }
            Exception? first = null;
            for (int b = 0; b < blocks; b++)
            {
                Pool[b].Done.Wait();
                first ??= Pool[b].Error;
            }
            if (first is not null)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
            return results;
        }
        finally
        {
            Monitor.Exit(Gate);
        }
    }

    private static Worker Start()
    {
        var w = new Worker();
        int callers = torch.get_num_threads();
        var ready = new ManualResetEventSlim();
        var thread = new Thread(
            () =>
            {
                // one intra-op thread here (OpenMP's and MKL's counts are per thread). libtorch sets a thread's count
                // from its shared default at the thread's first op, so take that first (get_num_threads does), then
                // set 1; the creator puts the shared default back below
                torch.get_num_threads();
                torch.set_num_threads(1);
                _onWorker = true;
                ready.Set();
                while (true)
                {
                    w.Go.Wait();
                    try
                    {
                        w.Job!();
                    }
                    catch (Exception e)
                    {
                        w.Error = e;
                    }
                    w.Job = null;
                    w.Done.Release();
                }
            },
            maxStackSize: 16 << 20
        )
        {
            IsBackground = true,
            Name = "telescope row worker",
        };
        thread.Start();
        ready.Wait();
        torch.set_num_threads(callers);
        return w;
    }
}
