using MathNet.Numerics.LinearAlgebra;

namespace Telescope.Theory;

/// <summary>Small dense helpers over MathNet matrices (column-major storage views, no copies of ODE state).</summary>
public static class LinAlg
{
    /// <summary>A matrix view over <paramref name="storage"/>[offset .. offset + rows·cols) in column-major order (copied).</summary>
    public static Matrix<double> View(double[] storage, int offset, int rows, int cols)
    {
        var m = Matrix<double>.Build.Dense(rows, cols);
        var dst = (
            (MathNet.Numerics.LinearAlgebra.Storage.DenseColumnMajorMatrixStorage<double>)m.Storage
        ).Data;
        Array.Copy(storage, offset, dst, 0, rows * cols);
        return m;
    }

    /// <summary>Copy <paramref name="m"/> (column-major) into <paramref name="storage"/> at <paramref name="offset"/>.</summary>
    public static void Store(Matrix<double> m, double[] storage, int offset)
    {
        var src = (
            (MathNet.Numerics.LinearAlgebra.Storage.DenseColumnMajorMatrixStorage<double>)m.Storage
        ).Data;
        Array.Copy(src, 0, storage, offset, m.RowCount * m.ColumnCount);
    }

    /// <summary>Flatten matrices into one state vector (column-major, in order).</summary>
    public static double[] Pack(params Matrix<double>[] ms)
    {
        var y = new double[ms.Sum(m => m.RowCount * m.ColumnCount)];
        int o = 0;
        foreach (var m in ms)
        {
            Store(m, y, o);
            o += m.RowCount * m.ColumnCount;
        }
        return y;
    }

    /// <summary>A rows×cols matrix of i.i.d. N(0, sd²) from <paramref name="rng"/> (row by row).</summary>
    public static Matrix<double> Gaussian(Rng rng, int rows, int cols, double sd = 1.0)
    {
        var m = Matrix<double>.Build.Dense(rows, cols);
        for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            m[i, j] = sd * rng.Normal();
        return m;
    }

    /// <summary>
    /// Orthonormal basis of the row space of <paramref name="rows"/> (modified Gram–Schmidt, applied twice; rows whose
    /// remainder has norm ≤ 1e-10 of the original are dropped, so repeated or dependent rows are handled — spec §0.1
    /// "Minimum-norm fits").
    /// </summary>
    public static List<double[]> RowSpaceBasis(IEnumerable<double[]> rows)
    {
        var basis = new List<double[]>();
        foreach (var r0 in rows)
        {
            var r = (double[])r0.Clone();
            if (Orthonormalise(r, basis, basis.Count))
                basis.Add(r);
        }
        return basis;
    }

    /// <summary>
    /// One Gram–Schmidt step (two passes, as <see cref="RowSpaceBasis"/>): removes from <paramref name="r"/> (in place)
    /// its part in the span of the first <paramref name="count"/> orthonormal rows of <paramref name="basis"/> and
    /// normalises it; false (r is then undefined) when what is left is ≤ 1e-10 of r's norm, i.e. r is dependent.
    /// </summary>
    public static bool Orthonormalise(double[] r, IReadOnlyList<double[]> basis, int count)
    {
        double n0 = Num.Norm(r);
        if (n0 == 0)
            return false;
        for (int pass = 0; pass < 2; pass++)
            for (int k = 0; k < count; k++)
            {
                var q = basis[k];
                double dot = 0;
                for (int i = 0; i < r.Length; i++)
                    dot += q[i] * r[i];
                for (int i = 0; i < r.Length; i++)
                    r[i] -= dot * q[i];
            }
        double n = Num.Norm(r);
        if (n <= 1e-10 * n0)
            return false;
        for (int i = 0; i < r.Length; i++)
            r[i] /= n;
        return true;
    }
}
