//! The Schur complement B_ij = tr(F_i G F_j Y) of the interior-point method, assembled block by block from
//! each block's structure: moment/localizing blocks by the S-row kernels (SIMD where the CPU has it, a packed
//! product for large blocks), sparse blocks by the Fujisawa–Kojima–Nakata formulas, diagonal blocks directly.

use faer::{Mat, MatRef};
use rayon::prelude::*;

use crate::sdp::block::{
    BlockMatrix, ConstraintBlock, DiagonalBlock, LocalizingBlock, ShiftTerm, SparseBlock,
    trace_with,
};

/// Run-time detection of the instruction sets the hot kernels are compiled for.
#[cfg(target_arch = "x86_64")]
mod simd {
    use std::sync::OnceLock;

    pub fn has_avx512() -> bool {
        static F: OnceLock<bool> = OnceLock::new();
        *F.get_or_init(|| is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("fma"))
    }

    pub fn has_avx2_fma() -> bool {
        static F: OnceLock<bool> = OnceLock::new();
        *F.get_or_init(|| is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"))
    }
}

/// Blocks at least this large use the packed-product kernel [`LocalizingBlock::s_row_gemm`].
const GEMM_MIN_SIZE: usize = 40;
/// Column panel width of that kernel (rows are restricted per panel).
const GEMM_PANEL: usize = 32;

/// Per-thread scratch of the S-row kernels.
struct GemmScratch {
    gv: Mat<f64>,
    yu: Mat<f64>,
    start: Vec<usize>,
    q_flat: Vec<f64>,
}

/// W += val · G(:, p) Y(q, :)
fn rank_one(w: &mut Mat<f64>, g: &Mat<f64>, y: &Mat<f64>, p: usize, q: usize, val: f64) {
    let gp = g.col_as_slice(p);
    let yq = y.col_as_slice(q); // Y(q, ·) = Y(·, q)
    for (c, &yv) in yq.iter().enumerate() {
        let f = val * yv;
        if f == 0.0 {
            continue;
        }
        for (wv, &gv) in w.col_as_slice_mut(c).iter_mut().zip(gp) {
            *wv += f * gv;
        }
    }
}

/// How [`SparseBlock::schur_add`] computes one column of B.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SparseFormula {
    /// W = G Fᵢ Y by two dense products, then traces.
    Products,
    /// W = G Fᵢ Y by one rank-one update per nonzero of Fᵢ, then traces.
    RankOne,
    /// No W: the double sum over the nonzeros of Fᵢ and Fⱼ.
    DoubleSum,
}

impl SparseFormula {
    /// The cheapest formula for a column whose matrix has `nnz` nonzeros (full symmetric count) when the
    /// matrices of the lower triangle's rows have `rest` nonzeros in all, in a block of size `s`.
    fn choose(nnz: usize, rest: usize, s: usize) -> SparseFormula {
        let (rank_one, products) = (nnz * s * s, 2 * s * s * s);
        let with_w = rank_one.min(products) + rest / 2;
        if 2 * nnz * rest < with_w {
            SparseFormula::DoubleSum
        } else if rank_one > products {
            SparseFormula::Products
        } else {
            SparseFormula::RankOne
        }
    }
}

/// tr(Fᵢ G Fⱼ Y) = Σ Fᵢ(p,q) Fⱼ(r,t) G(q,r) Y(t,p) over the full nonzero lists of Fᵢ and Fⱼ.
fn sparse_trace(fi: &[(u32, u32, f64)], fj: &[(u32, u32, f64)], g: &Mat<f64>, y: &Mat<f64>) -> f64 {
    let mut sum = 0.0;
    for &(p, q, a) in fi {
        let (gq, yp) = (g.col_as_slice(q as usize), y.col_as_slice(p as usize));
        let mut inner = 0.0;
        for &(r, t, c) in fj {
            inner += c * gq[r as usize] * yp[t as usize];
        }
        sum += a * inner;
    }
    sum
}

/// The dense symmetric Schur complement matrix over variables 0..=m (column-major; row/column 0 belong to
/// the constant and are ignored by the factorization). Only the lower triangle (row ≥ column) is
/// guaranteed to be filled: moment blocks skip the upper one, and the Cholesky factorization reads the lower.
pub struct SchurMatrix {
    pub(crate) dim: usize,
    pub(crate) data: Vec<f64>,
}

impl SchurMatrix {
    /// A zero matrix of dimension `dim` × `dim`.
    pub fn zeros(dim: usize) -> Self {
        SchurMatrix {
            dim,
            data: vec![0.0; dim * dim],
        }
    }

    /// Reset to zero.
    pub fn clear(&mut self) {
        self.data.iter_mut().for_each(|x| *x = 0.0);
    }
}

/// The pairs (p, a) grouped by destination t_p(a) (CSR over 0..n): B's column t_p(a) receives the updates of
/// row a of the shift p, so B's columns can be written in parallel without two threads sharing an entry.
fn column_pairs(targets: &[&[u32]], ms: usize, n: usize) -> (Vec<usize>, Vec<(u32, u32)>) {
    let mut start = vec![0usize; n + 1];
    for t in targets {
        for &c in &t[..ms] {
            start[c as usize + 1] += 1;
        }
    }
    for c in 0..n {
        start[c + 1] += start[c];
    }
    let mut next = start.clone();
    let mut pairs = vec![(0u32, 0u32); start[n]];
    for (p, t) in targets.iter().enumerate() {
        for (a, &c) in t[..ms].iter().enumerate() {
            pairs[next[c as usize]] = (p as u32, a as u32);
            next[c as usize] += 1;
        }
    }
    (start, pairs)
}

/// Add every block's contribution tr(Fᵢ G Fⱼ Y) to B.
///
/// Localizing blocks that share their structure (same size and sum table, i.e. the same degree) are
/// assembled together: with S_j each block's small matrix and g_j its coefficients over the union Γ of
/// their supports, B += Σ_{γ,γ'} Shift_γ (Σ_j g_{jγ} g_{jγ'} S_j) Shift_γ'ᵀ. The inner sums are one dense
/// product, and B receives |Γ|² · small_len² scattered updates per group instead of per block.
///
/// B's lower triangle is overwritten. When a moment matrix covers every variable (a full relaxation), it
/// writes its columns first and nothing is cleared beforehand; otherwise B is zeroed first.
pub fn assemble_schur(
    blocks: &[ConstraintBlock],
    g: &[BlockMatrix],
    y: &[BlockMatrix],
    b: &mut SchurMatrix,
) {
    let covering = blocks.iter().position(
        |blk| matches!(blk, ConstraintBlock::Localizing(l) if l.identity && l.small_len == b.dim),
    );
    match covering {
        Some(k) => {
            let (ConstraintBlock::Localizing(l), BlockMatrix::Dense(gk), BlockMatrix::Dense(yk)) =
                (&blocks[k], &g[k], &y[k])
            else {
                unreachable!("matched above; moment blocks are dense")
            };
            l.moment_rows(gk, yk, b, true);
        }
        None => b.clear(),
    }
    let mut groups: Vec<Vec<usize>> = vec![];
    for (k, blk) in blocks.iter().enumerate() {
        if Some(k) == covering {
            continue;
        }
        match blk {
            ConstraintBlock::Localizing(l) if !l.identity => {
                let found = groups.iter_mut().find(|grp| {
                    let ConstraintBlock::Localizing(o) = &blocks[grp[0]] else {
                        unreachable!()
                    };
                    o.size == l.size
                        && o.small_len == l.small_len
                        && o.sum_index == l.sum_index
                        && shares_a_shift(o, l)
                });
                match found {
                    Some(grp) => grp.push(k),
                    None => groups.push(vec![k]),
                }
            }
            _ => blk.schur_add(&g[k], &y[k], b),
        }
    }
    fn dense(k: usize, m: &[BlockMatrix]) -> &Mat<f64> {
        match &m[k] {
            BlockMatrix::Dense(d) => d,
            BlockMatrix::Diagonal(_) => unreachable!("localizing blocks are dense"),
        }
    }
    for grp in groups {
        let ls: Vec<&LocalizingBlock> = grp
            .iter()
            .map(|&k| match &blocks[k] {
                ConstraintBlock::Localizing(l) => l,
                _ => unreachable!(),
            })
            .collect();
        let gs: Vec<&Mat<f64>> = grp.iter().map(|&k| dense(k, g)).collect();
        let ys: Vec<&Mat<f64>> = grp.iter().map(|&k| dense(k, y)).collect();
        localizing_add(&ls, &gs, &ys, b);
    }
}

/// Do two blocks of one sum table have a shift (target vector) in common? Only then is one product of their
/// stacked S_j worth forming (a group of blocks with disjoint shifts would form all cross products for
/// nothing).
fn shares_a_shift(a: &LocalizingBlock, b: &LocalizingBlock) -> bool {
    a.terms
        .iter()
        .any(|s| b.terms.iter().any(|t| s.target == t.target))
}

/// B += Σ_{γ,γ'} Shift_γ W_{γγ'} Shift_γ'ᵀ with W_{γγ'} = Σ_j g_{jγ} g_{jγ'} S_j, for localizing blocks j that
/// share one structure (size and sum table), γ over the union of their supports.
///
/// Symmetry is used twice: each S_j is symmetric, and W_{γγ'} = W_{γ'γ}. So S_j is computed as its packed upper
/// triangle (rows b ≥ a), and only the |Γ|(|Γ|+1)/2 products W_{γγ'} with γ ≤ γ' are formed, as one dense
/// product of the packed S_j (columns) with the coefficient products: a quarter of the multiply-adds and memory
/// of the full form. B's lower triangle then gathers them column by column, in parallel.
fn localizing_add(
    blocks: &[&LocalizingBlock],
    g: &[&Mat<f64>],
    y: &[&Mat<f64>],
    b: &mut SchurMatrix,
) {
    let first = blocks[0];
    let ms = first.small_len;
    let nj = blocks.len();
    // Union of the shifts, each identified by its whole target vector: blocks of one sum table can still
    // have different row monomials (blocks of a term-sparse relaxation), so the same γ can shift them to
    // different moments.
    let mut support: Vec<&[u32]> = blocks
        .iter()
        .flat_map(|l| l.terms.iter().map(|t| t.target.as_slice()))
        .collect();
    support.sort_unstable();
    support.dedup();
    let ns = support.len();
    let pos = |t: &[u32]| support.binary_search(&t).expect("in the union");
    let mut shifts: Vec<Option<&ShiftTerm>> = vec![None; ns];
    // Coefficients: coef[j * ns + p].
    let mut coef = vec![0.0; nj * ns];
    for (j, l) in blocks.iter().enumerate() {
        for t in &l.terms {
            let p = pos(&t.target);
            shifts[p].get_or_insert(t);
            coef[j * ns + p] += t.coefficient;
        }
    }
    let targets: Vec<&[u32]> = shifts
        .iter()
        .map(|t| {
            t.expect("every γ of the union has a shift")
                .target
                .as_slice()
        })
        .collect();
    // Packed upper triangles: entry (a, b ≥ a) at off(a) + b − a; pair (p, q ≥ p) at pidx(p) + q − p.
    let off = |a: usize| a * (2 * ms + 1 - a) / 2;
    let npk = off(ms);
    let pidx = |p: usize| p * (2 * ns + 1 - p) / 2;
    let npairs = pidx(ns);
    // S_j (packed) as the columns of one npk × J matrix, blocks in parallel.
    let mut st = vec![0.0; npk * nj];
    st.par_chunks_mut(npk).enumerate().for_each(|(j, col)| {
        let l = blocks[j];
        let mut w = l.scratch();
        let mut row = vec![0.0; ms];
        for a in 0..ms {
            row[a..].iter_mut().for_each(|v| *v = 0.0);
            l.s_row_any(g[j], y[j], a, &mut w, &mut row, true);
            col[off(a)..off(a) + ms - a].copy_from_slice(&row[a..]);
        }
    });
    // W (packed, one column per pair γ ≤ γ') = S · P, P_{j,(p,q)} = g_{jp} g_{jq}; a single block is spread
    // directly with the factor g_p g_q (forming W would only copy S |Γ|(|Γ|+1)/2 times).
    let wt = (nj > 1).then(|| {
        let mut pt = Mat::zeros(nj, npairs);
        for j in 0..nj {
            for p in 0..ns {
                for q in p..ns {
                    pt[(j, pidx(p) + q - p)] = coef[j * ns + p] * coef[j * ns + q];
                }
            }
        }
        let mut wt = Mat::zeros(npk, npairs);
        // Explicitly parallel: the solver runs with faer's implicit parallelism off.
        let par = if npk * nj * npairs >= 1 << 22 {
            faer::Par::rayon(0)
        } else {
            faer::Par::Seq
        };
        faer::linalg::matmul::matmul(
            wt.as_mut(),
            faer::Accum::Replace,
            MatRef::from_column_major_slice(&st, npk, nj),
            pt.as_ref(),
            1.0,
            par,
        );
        wt
    });
    let source = |p: usize, q: usize| -> (&[f64], f64) {
        match &wt {
            Some(wt) => (wt.col_as_slice(pidx(p.min(q)) + p.max(q) - p.min(q)), 1.0),
            None => (&st, coef[p] * coef[q]),
        }
    };
    let n = b.dim;
    let (start, cpairs) = column_pairs(&targets, ms, n);
    let increasing: Vec<bool> = targets
        .iter()
        .map(|t| t[..ms].windows(2).all(|w| w[0] < w[1]))
        .collect();
    b.data
        .par_chunks_mut(n)
        .enumerate()
        .filter(|(col, _)| start[*col] < start[*col + 1])
        .for_each(|(col, bcol)| {
            for &(p, a) in &cpairs[start[col]..start[col + 1]] {
                let (p, a) = (p as usize, a as usize);
                for (q, tq) in targets.iter().enumerate() {
                    let (w, f) = source(p, q);
                    if f == 0.0 {
                        continue;
                    }
                    // Only rows t_q(b) ≥ col (B's lower triangle): with an increasing shift, the b ≥ b0.
                    let b0 = if increasing[q] {
                        tq[..ms].partition_point(|&t| (t as usize) < col)
                    } else {
                        0
                    };
                    // Row a of the symmetric W: (a, b < a) is stored at (b, a), then (a, b ≥ a) contiguously.
                    let mut at = off(b0.min(a)) + a - b0.min(a);
                    for (bb, &t) in tq.iter().enumerate().take(a).skip(b0) {
                        if t as usize >= col {
                            // SAFETY: targets are variable indices < n = bcol.len(); at < npk.
                            unsafe {
                                *bcol.get_unchecked_mut(t as usize) += f * *w.get_unchecked(at)
                            };
                        }
                        at += ms - bb - 1;
                    }
                    let lo = b0.max(a);
                    for (&t, &v) in tq[lo..ms].iter().zip(&w[off(a) + lo - a..off(a) + ms - a]) {
                        if t as usize >= col {
                            // SAFETY: as above.
                            unsafe { *bcol.get_unchecked_mut(t as usize) += f * v };
                        }
                    }
                }
            }
        });
}

impl LocalizingBlock {
    /// Row `a` of S(a, b) = Σ_{u+v=a} Σ_{u'+v'=b} G(v,u') Y(v',u) = ⟨F_b, Q_a⟩ with Q_a = Σ_{(u,v): u+v=a} G(:,v) Y(:,u)ᵀ.
    ///
    /// Q_a is accumulated by contiguous column updates (vectorized), then aggregated over the positions of each b:
    /// |P_a|·s² multiply-adds and s² scattered adds, instead of |P_a|·s² scattered adds. `q` is scratch (s²).
    fn s_row(
        &self,
        g: &Mat<f64>,
        y: &Mat<f64>,
        a: usize,
        q: &mut [f64],
        row: &mut [f64],
        lower: bool,
    ) {
        #[cfg(target_arch = "x86_64")]
        {
            if simd::has_avx512() {
                // SAFETY: the CPU supports AVX-512F and FMA (checked at run time).
                return unsafe { self.s_row_avx512(g, y, a, q, row, lower) };
            }
            if simd::has_avx2_fma() {
                // SAFETY: the CPU supports AVX2 and FMA (checked at run time).
                return unsafe { self.s_row_avx2(g, y, a, q, row, lower) };
            }
        }
        self.s_row_body::<false>(g, y, a, q, row, lower)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,fma")]
    unsafe fn s_row_avx512(
        &self,
        g: &Mat<f64>,
        y: &Mat<f64>,
        a: usize,
        q: &mut [f64],
        row: &mut [f64],
        lower: bool,
    ) {
        self.s_row_body::<true>(g, y, a, q, row, lower)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn s_row_avx2(
        &self,
        g: &Mat<f64>,
        y: &Mat<f64>,
        a: usize,
        q: &mut [f64],
        row: &mut [f64],
        lower: bool,
    ) {
        self.s_row_body::<true>(g, y, a, q, row, lower)
    }

    /// The kernel, compiled once per instruction set (`FMA` selects fused multiply-adds).
    #[inline(always)]
    fn s_row_body<const FMA: bool>(
        &self,
        g: &Mat<f64>,
        y: &Mat<f64>,
        a: usize,
        q: &mut [f64],
        row: &mut [f64],
        lower: bool,
    ) {
        let s = self.size;
        let pairs = &self.pairs[self.pairs_start[a]..self.pairs_start[a + 1]];
        // Column v' of Q_a at a time: it stays in L1 while the |P_a| columns of G are added into it.
        for (vp, sums) in self.sum_index.chunks_exact(s).enumerate() {
            // Only S(a, b) with b ≥ a is needed (the lower triangle of B). When the sums of a row increase
            // with u' (a graded monomial order), those are a suffix u' ≥ start.
            let start = if lower && self.monotone {
                usize::from(self.row_start[a * s + vp])
            } else {
                0
            };
            if start == s {
                continue;
            }
            let qcol = &mut q[start..s];
            qcol.iter_mut().for_each(|x| *x = 0.0);
            let ycol_vp = y.col_as_slice(vp); // Y(u, v') = Y(v', u)
            for &(u, v) in pairs {
                let yv = ycol_vp[u as usize];
                if yv == 0.0 {
                    continue;
                }
                let gcol = &g.col_as_slice(v as usize)[start..]; // G(u', v) for u' ≥ start
                for (qv, &gv) in qcol.iter_mut().zip(gcol) {
                    *qv = if FMA {
                        gv.mul_add(yv, *qv)
                    } else {
                        *qv + gv * yv
                    };
                }
            }
            // Aggregate: row[sum(u', v')] += Q(u', v'); the sum table is symmetric.
            for (&qv, &b) in qcol.iter().zip(&sums[start..]) {
                // SAFETY: every entry of `sum_index` is < small_len ≤ row.len() (checked in `new`).
                unsafe { *row.get_unchecked_mut(b as usize) += qv };
            }
        }
    }

    /// Row `a` of S as [`Self::s_row`], with Q_a formed by dense products: Q_a = G_V Y_Uᵀ, where G_V (s × |P_a|)
    /// gathers the columns G(:, v) and Y_U the columns Y(:, u) of the pairs (u, v) ∈ P_a. The product runs in
    /// faer's packed register-blocked kernel (moment block of order 4 for (2,3): 695 → 352 ms against column
    /// updates, see docs/BENCHMARKS.md); for the lower triangle it is restricted, per panel of columns v', to the
    /// rows u' whose sums can reach b ≥ a.
    fn s_row_gemm(
        &self,
        g: &Mat<f64>,
        y: &Mat<f64>,
        a: usize,
        w: &mut GemmScratch,
        row: &mut [f64],
        lower: bool,
    ) {
        let s = self.size;
        let pairs = &self.pairs[self.pairs_start[a]..self.pairs_start[a + 1]];
        let p = pairs.len();
        for (j, &(u, v)) in pairs.iter().enumerate() {
            w.gv.col_as_slice_mut(j)
                .copy_from_slice(g.col_as_slice(v as usize));
            w.yu.col_as_slice_mut(j)
                .copy_from_slice(y.col_as_slice(u as usize));
        }
        for vp in 0..s {
            w.start[vp] = if lower && self.monotone {
                usize::from(self.row_start[a * s + vp])
            } else {
                0
            };
        }
        let mut c0 = 0;
        while c0 < s {
            let cw = GEMM_PANEL.min(s - c0);
            let r0 = w.start[c0..c0 + cw].iter().copied().min().unwrap_or(s);
            if r0 < s {
                faer::linalg::matmul::matmul(
                    faer::MatMut::from_column_major_slice_mut(&mut w.q_flat, s, s).submatrix_mut(
                        r0,
                        c0,
                        s - r0,
                        cw,
                    ),
                    faer::Accum::Replace,
                    w.gv.as_ref().submatrix(r0, 0, s - r0, p),
                    w.yu.as_ref().submatrix(c0, 0, cw, p).transpose(),
                    1.0,
                    faer::Par::Seq,
                );
            }
            c0 += cw;
        }
        // Aggregate by scattering, column by column: row[sum(u', v')] += Q(u', v') for u' ≥ start(v') (every b ≥ a
        // when `lower`). Within a column the sums differ, so the additions are independent (a gather over the
        // positions of each b would chain them: one floating-point latency per addition).
        // Without a graded order (start = 0) the sums below a are skipped explicitly, as the lower triangle
        // asks.
        let q = &w.q_flat;
        let from = if lower && !self.monotone { a } else { 0 };
        for (vp, sums) in self.sum_index.chunks_exact(s).enumerate() {
            let r = w.start[vp];
            for (&qv, &b) in q[vp * s + r..(vp + 1) * s].iter().zip(&sums[r..]) {
                if (b as usize) >= from {
                    // SAFETY: every entry of `sum_index` is < small_len ≤ row.len() (checked in `new`).
                    unsafe { *row.get_unchecked_mut(b as usize) += qv };
                }
            }
        }
    }

    /// Row `a` of S by whichever kernel suits the block size.
    fn s_row_any(
        &self,
        g: &Mat<f64>,
        y: &Mat<f64>,
        a: usize,
        w: &mut GemmScratch,
        row: &mut [f64],
        lower: bool,
    ) {
        if self.size >= GEMM_MIN_SIZE {
            self.s_row_gemm(g, y, a, w, row, lower)
        } else {
            self.s_row(g, y, a, &mut w.q_flat, row, lower)
        }
    }

    fn scratch(&self) -> GemmScratch {
        let s = self.size;
        let pmax = (0..self.small_len)
            .map(|a| self.pairs_start[a + 1] - self.pairs_start[a])
            .max()
            .unwrap_or(0);
        let (n, p) = if s >= GEMM_MIN_SIZE {
            (s, pmax)
        } else {
            (0, 0)
        };
        GemmScratch {
            gv: Mat::zeros(n, p),
            yu: Mat::zeros(n, p),
            start: vec![0; s],
            q_flat: vec![0.0; s * s],
        }
    }

    fn schur_add(&self, g: &Mat<f64>, y: &Mat<f64>, b: &mut SchurMatrix) {
        if self.identity {
            self.moment_rows(g, y, b, false);
        } else {
            localizing_add(&[self], &[g], &[y], b);
        }
    }

    /// A moment matrix's contribution: S is B's leading block (small basis = a prefix of the variables,
    /// identity targets), B's columns computed in parallel. With `assign`, the lower part of those columns is
    /// overwritten (zeroed just before its column is computed, while it is in cache) instead of added to.
    fn moment_rows(&self, g: &Mat<f64>, y: &Mat<f64>, b: &mut SchurMatrix, assign: bool) {
        let n = b.dim;
        b.data
            .par_chunks_mut(n)
            .take(self.small_len)
            .enumerate()
            .for_each_init(
                || self.scratch(),
                |w, (a, col)| {
                    if assign {
                        col[a..].iter_mut().for_each(|v| *v = 0.0);
                    }
                    self.s_row_any(g, y, a, w, col, true)
                },
            );
    }
}

impl SparseBlock {
    /// B(vⱼ, vᵢ) += tr(Fᵢ G Fⱼ Y) for the lower triangle (vⱼ ≥ vᵢ), column by column, each column by the
    /// cheapest formula ([`SparseFormula`], counted in multiply-adds; SDPA chooses among the same kinds):
    /// - W = G Fᵢ Y, by two products when Fᵢ is dense (2s³) or by one rank-one update per nonzero
    ///   (|Fᵢ|·s²), then tr(Fⱼ W) for each j (|Fⱼ| each);
    /// - the double sum over both matrices' nonzeros, Σ Fᵢ(p,q) Fⱼ(r,t) G(q,r) Y(t,p), which forms no W
    ///   (2|Fᵢ||Fⱼ| each): far cheaper when all matrices are sparse (SDPLIB arch0: 10–36 nonzeros per
    ///   matrix in a 161 × 161 block).
    fn schur_add(&self, g: &Mat<f64>, y: &Mat<f64>, b: &mut SchurMatrix) {
        let n = b.dim;
        let s = self.size;
        let mut pos = vec![usize::MAX; n];
        for (k, (v, _)) in self.matrices.iter().enumerate() {
            pos[*v] = k;
        }
        // Nonzeros of the matrices k.. (those of variables ≥ vₖ: the lower triangle of column vₖ).
        let mut suffix = vec![0usize; self.full.len() + 1];
        for k in (0..self.full.len()).rev() {
            suffix[k] = suffix[k + 1] + self.full[k].len();
        }
        b.data
            .par_chunks_mut(n)
            .enumerate()
            .filter(|(col, _)| pos[*col] != usize::MAX)
            .for_each(|(col, bcol)| {
                let k = pos[col];
                let w = match SparseFormula::choose(self.full[k].len(), suffix[k], s) {
                    SparseFormula::DoubleSum => {
                        for (l, (v, _)) in self.matrices.iter().enumerate().skip(k) {
                            bcol[*v] += sparse_trace(&self.full[k], &self.full[l], g, y);
                        }
                        return;
                    }
                    SparseFormula::Products => g * &self.affine_single(&self.matrices[k].1) * y,
                    SparseFormula::RankOne => {
                        let mut w = Mat::<f64>::zeros(s, s);
                        for &(p, q, val) in &self.full[k] {
                            rank_one(&mut w, g, y, p as usize, q as usize, val);
                        }
                        w
                    }
                };
                for (v, fj) in &self.matrices[k..] {
                    bcol[*v] += trace_with(fj, w.as_ref());
                }
            });
    }

    fn affine_single(&self, entries: &[(u32, u32, f64)]) -> Mat<f64> {
        let mut m = Mat::zeros(self.size, self.size);
        for &(i, j, val) in entries {
            m[(i as usize, j as usize)] += val;
            if i != j {
                m[(j as usize, i as usize)] += val;
            }
        }
        m
    }
}

impl DiagonalBlock {
    fn schur_add(&self, g: &[f64], y: &[f64], b: &mut SchurMatrix) {
        let n = b.dim;
        for ((r, &gv), &yv) in self.rows.iter().zip(g).zip(y) {
            let w = gv * yv;
            for &(i, ci) in r {
                let col = &mut b.data[i as usize * n..(i as usize + 1) * n];
                for &(k, ck) in r {
                    col[k as usize] += w * ci * ck;
                }
            }
        }
    }
}

impl ConstraintBlock {
    /// `B[i][j]` += tr(Fᵢ G Fⱼ Y) for every pair of variables (including 0).
    pub fn schur_add(&self, g: &BlockMatrix, y: &BlockMatrix, b: &mut SchurMatrix) {
        match (self, g, y) {
            (ConstraintBlock::Localizing(blk), BlockMatrix::Dense(g), BlockMatrix::Dense(y)) => {
                blk.schur_add(g, y, b)
            }
            (ConstraintBlock::Sparse(blk), BlockMatrix::Dense(g), BlockMatrix::Dense(y)) => {
                blk.schur_add(g, y, b)
            }
            (
                ConstraintBlock::Diagonal(blk),
                BlockMatrix::Diagonal(g),
                BlockMatrix::Diagonal(y),
            ) => blk.schur_add(g, y, b),
            _ => panic!("block kinds differ"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::block::*;

    /// A 2×2 Hankel block in 1 variable: [[x0, x1], [x1, x2]].
    fn hankel() -> ConstraintBlock {
        ConstraintBlock::Localizing(LocalizingBlock::new(
            2,
            3,
            vec![0, 1, 1, 2],
            vec![ShiftTerm {
                coefficient: 1.0,
                target: vec![0, 1, 2],
            }],
        ))
    }

    fn sparse_hankel() -> ConstraintBlock {
        ConstraintBlock::Sparse(SparseBlock::new(
            2,
            vec![
                (0, vec![(0, 0, 1.0)]),
                (1, vec![(0, 1, 1.0)]),
                (2, vec![(1, 1, 1.0)]),
            ],
        ))
    }

    /// A A^T + I for a random n × n matrix A: symmetric positive definite.
    fn random_spd(rng: &mut crate::rng::Rng, n: usize) -> Mat<f64> {
        let a = Mat::from_fn(n, n, |_, _| rng.normal());
        let mut m = &a * a.transpose();
        for i in 0..n {
            m[(i, i)] += 1.0;
        }
        m
    }

    fn dense(rows: &[[f64; 2]; 2]) -> BlockMatrix {
        BlockMatrix::Dense(Mat::from_fn(2, 2, |i, j| rows[i][j]))
    }

    #[test]
    fn grouped_localizing_assembly_equals_block_by_block() {
        // Two variables, basis of degree ≤ 4; three localizing blocks of degree-1 rows with different g.
        use crate::polynomial::{Monomial, MonomialBasis};
        let basis = MonomialBasis::new(2, 4);
        let size = basis.count_up_to(1);
        let small = basis.count_up_to(2);
        let sum_index: Vec<u32> = (0..size * size)
            .map(|p| basis.index_of_product(p / size, p % size).unwrap() as u32)
            .collect();
        let term = |e: [u16; 2], c: f64| ShiftTerm {
            coefficient: c,
            target: (0..small)
                .map(|a| {
                    basis
                        .index(&basis.monomial(a).times(&Monomial(e.to_vec())))
                        .unwrap() as u32
                })
                .collect(),
        };
        let blocks: Vec<ConstraintBlock> = vec![
            vec![term([0, 0], 1.0), term([1, 0], -0.5), term([0, 2], 2.0)],
            vec![term([0, 0], 0.3), term([1, 1], 1.5)],
            vec![term([2, 0], -1.0), term([1, 0], 0.7)],
        ]
        .into_iter()
        .map(|t| {
            ConstraintBlock::Localizing(LocalizingBlock::new(size, small, sum_index.clone(), t))
        })
        .collect();
        let mut rng = crate::rng::Rng::new(9);
        let mut spd = || BlockMatrix::Dense(random_spd(&mut rng, size));
        let g: Vec<BlockMatrix> = (0..3).map(|_| spd()).collect();
        let y: Vec<BlockMatrix> = (0..3).map(|_| spd()).collect();
        let n = basis.len();
        let mut grouped = SchurMatrix::zeros(n);
        assemble_schur(&blocks, &g, &y, &mut grouped);
        let mut single = SchurMatrix::zeros(n);
        for k in 0..3 {
            blocks[k].schur_add(&g[k], &y[k], &mut single);
        }
        let scale = single.data.iter().fold(0.0f64, |a, b| a.max(b.abs()));
        assert!(scale > 0.0);
        // Only the lower triangle (row ≥ column) of B is assembled.
        for j in 0..n {
            for i in j..n {
                let (a, b) = (grouped.data[j * n + i], single.data[j * n + i]);
                assert!((a - b).abs() <= 1e-12 * scale, "{a} vs {b}");
            }
        }
        // And block by block equals the definition tr(Fᵢ G Fⱼ Y) with dense Fᵢ.
        let dense = |blk: &ConstraintBlock, i: usize| {
            let mut e = vec![0.0; n];
            e[i] = 1.0;
            match blk.affine(&e) {
                BlockMatrix::Dense(m) => m,
                _ => unreachable!(),
            }
        };
        for j in 0..n {
            for i in j..n {
                let mut want = 0.0;
                for k in 0..3 {
                    let (BlockMatrix::Dense(gk), BlockMatrix::Dense(yk)) = (&g[k], &y[k]) else {
                        unreachable!()
                    };
                    let p = &dense(&blocks[k], i) * gk * &dense(&blocks[k], j) * yk;
                    want += (0..size).map(|d| p[(d, d)]).sum::<f64>();
                }
                let got = single.data[j * n + i];
                assert!(
                    (got - want).abs() <= 1e-12 * scale,
                    "({i},{j}): {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn packed_product_kernel_equals_definition() {
        // A moment matrix in 5 variables with rows of degree ≤ 3 (56 > GEMM_MIN_SIZE): B's lower triangle from
        // the packed-product kernel against the column-update kernel, and sampled entries against tr(Fᵢ G Fⱼ Y).
        use crate::polynomial::MonomialBasis;
        let basis = MonomialBasis::new(5, 6);
        let size = basis.count_up_to(3);
        assert!(size >= GEMM_MIN_SIZE);
        let n = basis.len();
        let sum_index: Vec<u32> = (0..size * size)
            .map(|p| basis.index_of_product(p / size, p % size).unwrap() as u32)
            .collect();
        let moment = LocalizingBlock::new(
            size,
            n,
            sum_index.clone(),
            vec![ShiftTerm {
                coefficient: 1.0,
                target: (0..n as u32).collect(),
            }],
        );
        assert!(moment.identity && moment.monotone);
        let mut rng = crate::rng::Rng::new(4);
        let (g, y) = (random_spd(&mut rng, size), random_spd(&mut rng, size));
        let mut b = SchurMatrix::zeros(n);
        moment.schur_add(&g, &y, &mut b);
        let mut q = vec![0.0; size * size];
        let mut row = vec![0.0; n];
        let scale = b.data.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        for a in 0..n {
            row.iter_mut().for_each(|v| *v = 0.0);
            moment.s_row(&g, &y, a, &mut q, &mut row, false);
            for (c, want) in row.iter().enumerate().skip(a) {
                let got = b.data[a * n + c];
                assert!(
                    (got - want).abs() <= 1e-12 * scale,
                    "({c},{a}): {got} vs {want}"
                );
            }
        }
        // assemble_schur overwrites B: a moment block that covers every variable writes its columns in place.
        let mut dirty = SchurMatrix {
            dim: n,
            data: vec![7.0; n * n],
        };
        let blocks = [ConstraintBlock::Localizing(moment.clone())];
        let dense = |m: &Mat<f64>| [BlockMatrix::Dense(m.clone())];
        assemble_schur(&blocks, &dense(&g), &dense(&y), &mut dirty);
        for a in 0..n {
            for c in a..n {
                assert_eq!(dirty.data[a * n + c], b.data[a * n + c]);
            }
        }
        // The same block as a localizing block with coefficient −2 (packed S and the spread): 4 B.
        let mut neg = moment.clone();
        neg.terms[0].coefficient = -2.0;
        neg.identity = false;
        let mut b4 = SchurMatrix::zeros(n);
        neg.schur_add(&g, &y, &mut b4);
        for a in 0..n {
            for c in a..n {
                let (got, want) = (b4.data[a * n + c], 4.0 * b.data[a * n + c]);
                assert!(
                    (got - want).abs() <= 4e-12 * scale,
                    "({c},{a}): {got} vs {want}"
                );
            }
        }
        // Sampled entries of B against the definition, for the moment block and for a localizing block
        // g = 1 − x₀/2 + 2x₁² with the same rows (its targets reach degree 8).
        let big = MonomialBasis::new(5, 8);
        let nb = big.len();
        let term = |e: [u16; 5], c: f64| ShiftTerm {
            coefficient: c,
            target: (0..n)
                .map(|a| {
                    let m = basis
                        .monomial(a)
                        .times(&crate::polynomial::Monomial(e.to_vec()));
                    big.index(&m).unwrap() as u32
                })
                .collect(),
        };
        let loc = LocalizingBlock::new(
            size,
            n,
            sum_index,
            vec![
                term([0; 5], 1.0),
                term([1, 0, 0, 0, 0], -0.5),
                term([0, 2, 0, 0, 0], 2.0),
            ],
        );
        let mut bl = SchurMatrix::zeros(nb);
        loc.schur_add(&g, &y, &mut bl);
        let mut rng = crate::rng::Rng::new(5);
        for (blk, b, nv) in [
            (ConstraintBlock::Localizing(moment), &b, n),
            (ConstraintBlock::Localizing(loc), &bl, nb),
        ] {
            let f = |i: usize| {
                let mut e = vec![0.0; nv];
                e[i] = 1.0;
                match blk.affine(&e) {
                    BlockMatrix::Dense(m) => m,
                    _ => unreachable!(),
                }
            };
            let scale = b.data.iter().fold(0.0f64, |a, v| a.max(v.abs()));
            let mut nonzero = 0;
            for _ in 0..80 {
                let i = (rng.uniform() * n as f64) as usize % n;
                let j = (rng.uniform() * nv as f64) as usize % nv;
                let p = &f(i) * &g * &f(j) * &y;
                let tr: f64 = (0..size).map(|d| p[(d, d)]).sum();
                let got = b.data[i.min(j) * nv + i.max(j)];
                assert!(
                    (got - tr).abs() <= 1e-12 * scale,
                    "({i},{j}): {got} vs {tr}"
                );
                nonzero += usize::from(tr != 0.0);
            }
            assert!(nonzero > 10);
        }
    }

    #[test]
    fn sparse_formulas_agree_with_dense_traces() {
        // A 12 × 12 block with 40 variables: a dense matrix first, then matrices of 1–40 nonzeros in a random
        // order of sizes, so that the columns use all three formulas (checked below).
        let s = 12;
        let mut rng = crate::rng::Rng::new(17);
        let mut matrices: Vec<SparseMatrix> = vec![(
            1,
            (0..s as u32)
                .flat_map(|i| (i..s as u32).map(move |j| (i, j, 0.1 + f64::from(i + j))))
                .collect(),
        )];
        for v in 2..=40usize {
            let count = 1 + (rng.uniform() * 40.0) as usize;
            let entries = (0..count)
                .map(|_| {
                    let i = (rng.uniform() * s as f64) as u32;
                    let j = (rng.uniform() * s as f64) as u32;
                    (i, j, rng.normal())
                })
                .collect();
            matrices.push((v, entries));
        }
        let blk = SparseBlock::new(s, matrices);
        let mut suffix = vec![0usize; blk.full.len() + 1];
        for k in (0..blk.full.len()).rev() {
            suffix[k] = suffix[k + 1] + blk.full[k].len();
        }
        let used: std::collections::BTreeSet<_> = (0..blk.full.len())
            .map(|k| {
                format!(
                    "{:?}",
                    SparseFormula::choose(blk.full[k].len(), suffix[k], s)
                )
            })
            .collect();
        assert_eq!(used.len(), 3, "formulas used: {used:?}");
        let (g, y) = (random_spd(&mut rng, s), random_spd(&mut rng, s));
        let n = 41;
        let mut b = SchurMatrix::zeros(n);
        blk.schur_add(&g, &y, &mut b);
        let f: Vec<Mat<f64>> = blk
            .matrices
            .iter()
            .map(|(_, e)| blk.affine_single(e))
            .collect();
        for (i, (vi, _)) in blk.matrices.iter().enumerate() {
            for (j, (vj, _)) in blk.matrices.iter().enumerate().skip(i) {
                let p = &f[i] * &g * &f[j] * &y;
                let tr: f64 = (0..s).map(|k| p[(k, k)]).sum();
                let got = b.data[vi * n + vj];
                assert!(
                    (got - tr).abs() <= 1e-10 * (1.0 + tr.abs()),
                    "B({vj}, {vi}) = {got}, tr = {tr}"
                );
            }
        }
    }

    #[test]
    fn structured_and_sparse_blocks_agree() {
        let x = [1.0, 0.5, 2.0];
        for blk in [hankel(), sparse_hankel()] {
            assert_eq!(blk.affine(&x), dense(&[[1.0, 0.5], [0.5, 2.0]]));
            let m = dense(&[[1.0, 2.0], [3.0, 4.0]]);
            let mut out = vec![0.0; 3];
            blk.adjoint_add(&m, &mut out);
            assert_eq!(out, vec![1.0, 5.0, 4.0]);
            let g = dense(&[[2.0, 1.0], [1.0, 3.0]]);
            let y = dense(&[[1.0, -1.0], [-1.0, 5.0]]);
            let mut b = SchurMatrix::zeros(3);
            blk.schur_add(&g, &y, &mut b);
            // Reference: tr(Fi G Fj Y) with dense Fi.
            let f = |i: usize| {
                let mut e = vec![0.0; 3];
                e[i] = 1.0;
                match blk.affine(&e) {
                    BlockMatrix::Dense(m) => m,
                    _ => unreachable!(),
                }
            };
            let (BlockMatrix::Dense(gm), BlockMatrix::Dense(ym)) = (&g, &y) else {
                unreachable!()
            };
            for i in 0..3 {
                for j in 0..3 {
                    let p = &f(i) * gm * &f(j) * ym;
                    let tr: f64 = (0..2).map(|k| p[(k, k)]).sum();
                    // Only the lower triangle is filled (row i ≥ column j).
                    if i >= j {
                        assert!((b.data[j * 3 + i] - tr).abs() < 1e-12, "({i},{j})");
                    }
                }
            }
        }
    }

    /// Localizing blocks with the same sum table but different row monomials (the blocks of a term-sparse
    /// relaxation: rows [1, x] and [1, y] of g = 1 − x² − y² give the same table and different moments) are
    /// assembled as the sum of their own terms: B = Σ_blocks tr(F_i G F_j Y).
    #[test]
    fn blocks_of_one_sum_table_with_different_targets() {
        // Variables: 0 = 1, 1 = x, 2 = y, 3 = x², 4 = y², 5 = x³, 6 = xy², 7 = x²y, 8 = y³.
        let n = 9;
        let loc = |targets: [[u32; 3]; 3]| {
            ConstraintBlock::Localizing(LocalizingBlock::new(
                2,
                3,
                vec![0, 1, 1, 2],
                [1.0, -0.5, -0.5]
                    .iter()
                    .zip(targets)
                    .map(|(&coefficient, t)| ShiftTerm {
                        coefficient,
                        target: t.to_vec(),
                    })
                    .collect(),
            ))
        };
        // Rows [1, x]: shifts by 1, x², y² of the sums 1, x, x²; rows [1, y] likewise.
        let blocks = vec![
            loc([[0, 1, 3], [3, 5, 0], [4, 6, 0]]),
            loc([[0, 2, 4], [3, 7, 0], [4, 8, 0]]),
        ];
        let mut rng = crate::rng::Rng::new(11);
        let gs: Vec<BlockMatrix> = (0..2)
            .map(|_| BlockMatrix::Dense(random_spd(&mut rng, 2)))
            .collect();
        let ys: Vec<BlockMatrix> = (0..2)
            .map(|_| BlockMatrix::Dense(random_spd(&mut rng, 2)))
            .collect();
        let mut b = SchurMatrix::zeros(n);
        assemble_schur(&blocks, &gs, &ys, &mut b);
        let f = |k: usize, i: usize| {
            let mut e = vec![0.0; n];
            e[i] = 1.0;
            match blocks[k].affine(&e) {
                BlockMatrix::Dense(m) => m,
                _ => unreachable!(),
            }
        };
        for i in 0..n {
            for j in 0..=i {
                let mut tr = 0.0;
                for k in 0..2 {
                    let (BlockMatrix::Dense(g), BlockMatrix::Dense(y)) = (&gs[k], &ys[k]) else {
                        unreachable!()
                    };
                    let p = &f(k, i) * g * &f(k, j) * y;
                    tr += p[(0, 0)] + p[(1, 1)];
                }
                let got = b.data[j * n + i];
                assert!(
                    (got - tr).abs() <= 1e-12 * (1.0 + tr.abs()),
                    "B({i},{j}) = {got}, tr = {tr}"
                );
            }
        }
    }
}
