//! The generator's random numbers: a small PRNG whose stream is fixed by a family name and a
//! variant index, so the same task set comes out on every machine and with every crate version.

/// A small deterministic PRNG (SplitMix64): task files must not change when a crate updates.
/// Not the design card's `rand`: its `StdRng` is not promised to stay the same across versions,
/// and `rand_chacha`, which is, would draw other numbers than these: every generated task set
/// (the bundled file is compared byte for byte with the generator) and the mock's candidates,
/// hence the README's demo numbers, would change.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded from a family name and variant index, so every task has its own stream.
    pub fn for_variant(family: &str, index: usize) -> Self {
        let mut seed = 0xcbf2_9ce4_8422_2325u64;
        for b in family.bytes() {
            seed = (seed ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Rng(seed ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform integer in `lo..=hi`.
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        assert!(lo <= hi);
        let span = (hi - lo) as u64 + 1;
        lo + (self.next_u64() % span) as i64
    }

    /// Uniform index in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0);
        (self.next_u64() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A list of `len` integers in `lo..=hi`.
    pub fn ints(&mut self, len: usize, lo: i64, hi: i64) -> Vec<i64> {
        (0..len).map(|_| self.int(lo, hi)).collect()
    }

    /// A string of `len` characters drawn from `alphabet`.
    pub fn string(&mut self, len: usize, alphabet: &str) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        (0..len).map(|_| *self.pick(&chars)).collect()
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}
