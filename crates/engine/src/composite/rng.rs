//! A small seedable random number generator: xoshiro256** seeded through SplitMix64
//! (`rand_xoshiro`'s `Xoshiro256StarStar::seed_from_u64`).
//!
//! Monte Carlo results must be reproducible from a recorded seed on every platform and in
//! every future build: `the_stream_is_pinned` checks the first outputs, so a version of the
//! crate that gave another stream would fail the tests.

use rand_xoshiro::rand_core::{Rng as _, SeedableRng};
use rand_xoshiro::Xoshiro256StarStar;

/// xoshiro256** (Blackman & Vigna, 2018), seeded from one `u64` with SplitMix64.
#[derive(Debug, Clone)]
pub struct Rng(Xoshiro256StarStar);

impl Rng {
    /// A generator whose whole stream is fixed by `seed`.
    pub fn seeded(seed: u64) -> Rng {
        Rng(Xoshiro256StarStar::seed_from_u64(seed))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A uniform number in `[0, 1)` with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_uniform_range() {
        let mut a = Rng::seeded(42);
        let mut b = Rng::seeded(42);
        let xs: Vec<f64> = (0..1000).map(|_| a.next_f64()).collect();
        assert!(xs
            .iter()
            .zip((0..1000).map(|_| b.next_f64()))
            .all(|(x, y)| *x == y));
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        let mean = xs.iter().sum::<f64>() / 1000.0;
        assert!((mean - 0.5).abs() < 0.05, "{mean}");
        assert_ne!(Rng::seeded(1).next_u64(), Rng::seeded(2).next_u64());
    }

    #[test]
    fn the_stream_is_pinned() {
        // The first outputs of the generator as written out here before rand_xoshiro (SplitMix64
        // seeding as in Vigna's splitmix64.c, then xoshiro256**).
        let mut rng = Rng::seeded(42);
        assert_eq!(
            [rng.next_u64(), rng.next_u64(), rng.next_u64()],
            [
                0x1578_0B2E_0C2E_C716,
                0x6104_D986_6D11_3A7E,
                0xAE17_5332_39E4_99A1
            ]
        );
    }
}
