//! Random draws that reproduce PySAL esda's permutations bit for bit.
//!
//! esda draws its conditional permutations inside numba (`esda.crand.vec_permutations`):
//! `np.random.seed(seed)` followed, per replication, by `np.random.choice(n - 1, size=k,
//! replace=False)`. Numba implements that as a full Fisher–Yates shuffle of `arange(n - 1)`
//! (`np.random.permutation`) and keeps the first `k` entries; each swap index is a
//! rejection-sampled integer from the low bits of one MT19937 output. The global Moran test
//! (`esda.Moran`) uses NumPy's legacy `RandomState` instead, whose `permutation` is the same
//! shuffle over the same generator. Reproducing both means a Rust run and an esda run with the
//! same seed see identical random data, so their pseudo p-values can be compared exactly.

/// The 32-bit Mersenne Twister (MT19937) with the reference `init_genrand` seeding, as used
/// by NumPy's legacy `RandomState.seed(int)` and numba's `np.random.seed(int)`.
#[derive(Clone)]
pub struct Mt19937 {
    state: [u32; 624],
    index: usize,
}

impl Mt19937 {
    /// Seeds the generator like `np.random.seed(seed)`.
    pub fn new(seed: u32) -> Mt19937 {
        let mut state = [0u32; 624];
        state[0] = seed;
        for i in 1..624 {
            let prev = state[i - 1];
            state[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        Mt19937 { state, index: 624 }
    }

    fn twist(&mut self) {
        const N: usize = 624;
        const M: usize = 397;
        #[inline(always)]
        fn mix(upper: u32, lower: u32, far: u32) -> u32 {
            let y = (upper & 0x8000_0000) | (lower & 0x7fff_ffff);
            far ^ (y >> 1) ^ (0u32.wrapping_sub(y & 1) & 0x9908_b0df)
        }
        // The reference recurrence, split into three loops so that no index needs a modulo.
        let mt = &mut self.state;
        for i in 0..N - M {
            mt[i] = mix(mt[i], mt[i + 1], mt[i + M]);
        }
        for i in N - M..N - 1 {
            mt[i] = mix(mt[i], mt[i + 1], mt[i + M - N]);
        }
        mt[N - 1] = mix(mt[N - 1], mt[0], mt[M - 1]);
        self.index = 0;
    }

    /// The next 32-bit output.
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= 624 {
            self.twist();
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^= y >> 18;
        y
    }

    /// A uniform integer in `0..=max` by masking and rejection, like NumPy's legacy
    /// `random_interval` and numba's `np.random.randint(0, max + 1)`. Only for `max < 2^32`.
    pub fn interval(&mut self, max: u32) -> u32 {
        if max == 0 {
            return 0;
        }
        let mask = u32::MAX >> max.leading_zeros();
        loop {
            let value = self.next_u32() & mask;
            if value <= max {
                return value;
            }
        }
    }

    /// Shuffles in place like `np.random.shuffle` (legacy and numba): for `i` from the end
    /// down to 1, swap element `i` with a uniform element of `0..=i`.
    pub fn shuffle<T>(&mut self, values: &mut [T]) {
        for i in (1..values.len()).rev() {
            let j = self.interval(i as u32) as usize;
            values.swap(i, j);
        }
    }
}

/// The shared permutation table of esda's conditional randomisation: `permutations` rows of
/// `width` indices into the `n - 1` *other* sites, drawn without replacement per row.
///
/// Index `j` in a row refers, for site `i`, to site `j` if `j < i` and to `j + 1` otherwise
/// (the site itself is left out, which is what "conditional" means). One table serves all
/// sites, exactly as in esda.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermutationTable {
    n: usize,
    seed: u32,
    width: usize,
    ids: Vec<u32>,
}

impl PermutationTable {
    /// Draws the table exactly as `esda.crand.vec_permutations(width, n, permutations, seed)`.
    /// Needs `width <= n - 1`.
    pub fn esda(n: usize, width: usize, permutations: usize, seed: u32) -> PermutationTable {
        assert!(
            n >= 2 && width < n,
            "need 0 <= width < n and n >= 2, got width {width}, n {n}"
        );
        assert!(n <= u32::MAX as usize, "at most 2^32 sites");
        let mut rng = Mt19937::new(seed);
        let mut ids = Vec::with_capacity(permutations * width);
        let mut deck: Vec<u32> = (0..(n - 1) as u32).collect();
        for _ in 0..permutations {
            // numba shuffles a fresh `arange(n - 1)` for every replication; so do we. The whole
            // deck must be shuffled (not just `width` draws) to consume the generator identically.
            for (i, slot) in deck.iter_mut().enumerate() {
                *slot = i as u32;
            }
            rng.shuffle(&mut deck);
            ids.extend_from_slice(&deck[..width]);
        }
        PermutationTable {
            n,
            seed,
            width,
            ids,
        }
    }

    /// Whether this is the table `esda(n, width, permutations, seed)` would draw.
    pub fn is(&self, n: usize, width: usize, permutations: usize, seed: u32) -> bool {
        (self.n, self.width, self.permutations(), self.seed) == (n, width, permutations, seed)
    }

    /// Number of replications (rows).
    pub fn permutations(&self) -> usize {
        self.ids.len().checked_div(self.width).unwrap_or(0)
    }

    /// Indices per row (the largest number of neighbours of any site).
    pub fn width(&self) -> usize {
        self.width
    }

    /// Row `r`.
    pub fn row(&self, r: usize) -> &[u32] {
        &self.ids[r * self.width..(r + 1) * self.width]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mt19937_matches_the_reference_output() {
        // First outputs of the reference implementation seeded with init_genrand(5489).
        let mut rng = Mt19937::new(5489);
        let first: Vec<u32> = (0..3).map(|_| rng.next_u32()).collect();
        assert_eq!(first, vec![3_499_211_612, 581_869_302, 3_890_346_734]);
        // The 10,000th output, a standard check value for MT19937.
        let mut rng = Mt19937::new(5489);
        let last = (0..10_000).map(|_| rng.next_u32()).last();
        assert_eq!(last, Some(4_123_659_995));
    }

    #[test]
    fn table_reproduces_esda_vec_permutations() {
        // Printed by esda 2.9.0 / numba 0.62.1:
        // `esda.crand.vec_permutations(4, 10, 3, 12345)` and `vec_permutations(3, 1000, 2, 7)`.
        let t = PermutationTable::esda(10, 4, 3, 12345);
        assert_eq!(
            [t.row(0), t.row(1), t.row(2)],
            [[3, 0, 8, 6], [0, 4, 7, 3], [5, 8, 4, 3]]
        );
        let t = PermutationTable::esda(1000, 3, 2, 7);
        assert_eq!([t.row(0), t.row(1)], [[777, 334, 271], [562, 11, 731]]);
    }

    #[test]
    fn shuffle_reproduces_numpy_legacy_permutation() {
        // Printed by NumPy 2.3.4: `np.random.seed(42)` then `np.random.permutation(np.arange(8.0))` twice.
        let mut rng = Mt19937::new(42);
        let mut a: Vec<u32> = (0..8).collect();
        rng.shuffle(&mut a);
        assert_eq!(a, [1, 5, 0, 7, 2, 4, 3, 6]);
        let mut b: Vec<u32> = (0..8).collect();
        rng.shuffle(&mut b);
        assert_eq!(b, [3, 7, 0, 4, 5, 2, 1, 6]);
    }

    #[test]
    fn interval_stays_in_range_and_reaches_both_ends() {
        let mut rng = Mt19937::new(1);
        let draws: Vec<u32> = (0..2000).map(|_| rng.interval(4)).collect();
        assert!(draws.iter().all(|&d| d <= 4));
        assert!(draws.contains(&0) && draws.contains(&4));
    }

    #[test]
    fn table_rows_hold_distinct_indices_below_n_minus_one() {
        let table = PermutationTable::esda(10, 4, 50, 12345);
        assert_eq!(table.permutations(), 50);
        for r in 0..50 {
            let mut row = table.row(r).to_vec();
            assert!(row.iter().all(|&j| j < 9));
            row.sort_unstable();
            row.dedup();
            assert_eq!(row.len(), 4);
        }
    }
}
