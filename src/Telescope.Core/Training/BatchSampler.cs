namespace Telescope.Training;

/// <summary>
/// Mini-batches drawn without replacement, reshuffled every epoch from a seeded generator; the last
/// batch of an epoch may be smaller (spec A18). Batch size ≥ n means full batch (no shuffling).
/// </summary>
public sealed class BatchSampler
{
    private readonly int _n,
        _batch;
    private readonly Rng _rng;
    private int[] _order;
    private int _pos;

    /// <summary>Epochs started so far.</summary>
    public int Epoch { get; private set; }

    /// <summary>A sampler over n rows.</summary>
    public BatchSampler(int n, int batchSize, long seed)
    {
        if (n <= 0)
            throw new ArgumentException("no training rows");
        if (batchSize <= 0)
            throw new ArgumentException($"batch size must be positive, got {batchSize}");
        _n = n;
        _batch = Math.Min(batchSize, n);
        _rng = new Rng(seed, stream: 2);
        _order = [];
        _pos = n;
    }

    /// <summary>Whether every batch is the whole training set.</summary>
    public bool FullBatch => _batch >= _n;

    /// <summary>The indices of the next batch.</summary>
    public int[] Next()
    {
        if (FullBatch)
        {
            Epoch++;
            return Enumerable.Range(0, _n).ToArray();
        }
        if (_pos >= _n)
        {
            _order = _rng.Permutation(_n);
            _pos = 0;
            Epoch++;
        }
        int take = Math.Min(_batch, _n - _pos);
        var b = _order[_pos..(_pos + take)];
        _pos += take;
        return b;
    }

    /// <summary>Sampler state for checkpoints: generator state, current order, position, epoch.</summary>
    public (ulong[] rng, int[] order, int pos, int epoch) State =>
        (_rng.State, _order.ToArray(), _pos, Epoch);

    /// <summary>Restore a saved state.</summary>
    public void Restore(ulong[] rng, int[] order, int pos, int epoch)
    {
        _rng.Restore(rng);
        _order = order.ToArray();
        _pos = pos;
        Epoch = epoch;
    }
}
