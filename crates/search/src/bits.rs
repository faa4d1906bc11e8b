//! Sets of document numbers, one bit each: what a query reaches, what the caller may see.
//! A million documents take 128 KB, so unions and intersections of whole posting lists
//! cost a few microseconds and counting a result set is a popcount.

/// A set of docnos. Operations between sets of different lengths treat the missing bits
/// of the shorter one as zero (the index grows between queries).
#[derive(Debug, Default, Clone)]
pub(crate) struct Bits {
    words: Vec<u64>,
}

impl Bits {
    /// Empties the set and makes room for docnos below `n`.
    pub fn reset(&mut self, n: usize) {
        let len = n.div_ceil(64);
        self.words.clear();
        self.words.resize(len, 0);
    }

    /// Room for docnos below `n`, keeping what is set.
    pub fn grow(&mut self, n: usize) {
        let len = n.div_ceil(64);
        if self.words.len() < len {
            self.words.resize(len, 0);
        }
    }

    #[inline]
    pub fn set(&mut self, d: u32) {
        self.words[(d >> 6) as usize] |= 1 << (d & 63);
    }

    #[inline]
    pub fn unset(&mut self, d: u32) {
        if let Some(w) = self.words.get_mut((d >> 6) as usize) {
            *w &= !(1 << (d & 63));
        }
    }

    #[inline]
    pub fn get(&self, d: u32) -> bool {
        self.words
            .get((d >> 6) as usize)
            .is_some_and(|w| w & (1 << (d & 63)) != 0)
    }

    /// Memory held, in bytes.
    pub fn bytes(&self) -> usize {
        self.words.capacity() * 8
    }

    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Size of the intersection with `other`.
    pub fn and_count(&self, other: &Bits) -> usize {
        self.words
            .iter()
            .zip(&other.words)
            .map(|(a, b)| (a & b).count_ones() as usize)
            .sum()
    }

    pub fn intersects(&self, other: &Bits) -> bool {
        self.words.iter().zip(&other.words).any(|(a, b)| a & b != 0)
    }

    /// Becomes a copy of `other`, sized for docnos below `n`.
    pub fn copy_from(&mut self, other: &Bits, n: usize) {
        self.reset(n);
        let k = self.words.len().min(other.words.len());
        self.words[..k].copy_from_slice(&other.words[..k]);
    }

    pub fn or_with(&mut self, other: &Bits) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }

    pub fn and_with(&mut self, other: &Bits) {
        let k = other.words.len().min(self.words.len());
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= b;
        }
        self.words[k..].fill(0);
    }

    /// Keeps the members `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(u32) -> bool) {
        for (i, w) in self.words.iter_mut().enumerate() {
            let mut rest = *w;
            while rest != 0 {
                let b = rest.trailing_zeros();
                rest &= rest - 1;
                if !keep((i as u32) << 6 | b) {
                    *w &= !(1 << b);
                }
            }
        }
    }

    /// Calls `f` for every member, in ascending order.
    pub fn for_each(&self, mut f: impl FnMut(u32)) {
        for (i, &w) in self.words.iter().enumerate() {
            let mut rest = w;
            while rest != 0 {
                f((i as u32) << 6 | rest.trailing_zeros());
                rest &= rest - 1;
            }
        }
    }

    /// Calls `f` for the first member and then every `step`-th one after it (an even
    /// sample), skipping whole words by their popcount; returns how many were visited.
    pub fn for_each_step(&self, step: usize, mut f: impl FnMut(u32)) -> usize {
        let step = step.max(1);
        let (mut skip, mut visited) = (0usize, 0usize);
        for (i, &w) in self.words.iter().enumerate() {
            let ones = w.count_ones() as usize;
            if skip >= ones {
                skip -= ones;
                continue;
            }
            let mut rest = w;
            while rest != 0 {
                if skip == 0 {
                    f((i as u32) << 6 | rest.trailing_zeros());
                    visited += 1;
                    skip = step;
                }
                skip -= 1;
                rest &= rest - 1;
            }
        }
        visited
    }
}

#[cfg(test)]
mod tests {
    use super::Bits;

    fn of(n: usize, members: &[u32]) -> Bits {
        let mut b = Bits::default();
        b.reset(n);
        members.iter().for_each(|&d| b.set(d));
        b
    }

    fn members(b: &Bits) -> Vec<u32> {
        let mut v = Vec::new();
        b.for_each(|d| v.push(d));
        v
    }

    #[test]
    fn set_operations_treat_missing_words_as_zero() {
        let mut a = of(200, &[0, 63, 64, 130, 199]);
        let short = of(70, &[63, 64, 65]);
        assert_eq!(a.count(), 5);
        assert_eq!(a.and_count(&short), 2);
        assert!(a.intersects(&short));
        a.and_with(&short);
        assert_eq!(members(&a), [63, 64]);
        let mut c = Bits::default();
        c.copy_from(&short, 300);
        c.set(299);
        c.or_with(&of(300, &[1]));
        assert_eq!(members(&c), [1, 63, 64, 65, 299]);
        c.retain(|d| d % 2 == 1);
        assert_eq!(members(&c), [1, 63, 65, 299]);
        c.unset(63);
        c.unset(100_000);
        assert!(!c.get(63) && c.get(65) && !c.get(100_000));
    }

    #[test]
    fn every_step_th_member_is_sampled() {
        let all: Vec<u32> = (0..1000).filter(|d| d % 3 != 0).collect();
        let b = of(1000, &all);
        let mut seen = Vec::new();
        let n = b.for_each_step(7, |d| seen.push(d));
        let expected: Vec<u32> = all.iter().copied().step_by(7).collect();
        assert_eq!(seen, expected);
        assert_eq!(n, expected.len());
        assert_eq!(b.for_each_step(1, |_| {}), all.len());
    }
}
