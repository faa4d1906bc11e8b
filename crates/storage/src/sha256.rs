//! A SHA-256 whose state can be saved and resumed elsewhere: a chunked upload's running hash
//! lives in the database between requests, so whichever node takes the next chunk continues
//! it and the closing request only finishes it (O(1) whatever the blob's size).
//!
//! `sha2` 0.10 cannot export its hasher's state, so this keeps the state itself and lets
//! `sha2::compress256` (the crate's own, hardware-accelerated block function) do the work;
//! only the standard padding at the end is written here.

use sha2::digest::generic_array::GenericArray;
use trove_core::Digest;

const BLOCK: usize = 64;
const INITIAL: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

type Block = GenericArray<u8, sha2::digest::consts::U64>;

/// The whole 64-byte blocks at the start of `data`, seen in place (copying them into blocks
/// first cost a quarter of the hashing time), and the bytes after them.
fn as_blocks(data: &[u8]) -> (&[Block], &[u8]) {
    let n = data.len() / BLOCK;
    let (whole, rest) = data.split_at(n * BLOCK);
    // SAFETY: `GenericArray<u8, U64>` is 64 bytes with the alignment of `u8` (it is
    // `repr(transparent)` over nested `repr(C)` arrays of `u8`), so `n` of them are exactly the
    // `n * 64` bytes of `whole`, borrowed for as long as `data` (block-buffer, which sha2's
    // own hashers use, views input blocks the same way).
    let blocks = unsafe { std::slice::from_raw_parts(whole.as_ptr().cast::<Block>(), n) };
    (blocks, rest)
}

/// A resumable SHA-256 over the bytes of an upload so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunningSha256 {
    state: [u32; 8],
    /// Bytes hashed (including `tail`).
    len: u64,
    /// The last `len % 64` bytes, not yet compressed.
    tail: Vec<u8>,
}

impl Default for RunningSha256 {
    fn default() -> Self {
        RunningSha256 {
            state: INITIAL,
            len: 0,
            tail: Vec::with_capacity(BLOCK),
        }
    }
}

/// A saved state that cannot be read back.
#[derive(Debug, thiserror::Error)]
#[error("invalid saved hash state")]
pub struct BadHashState;

impl RunningSha256 {
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes hashed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn update(&mut self, mut data: &[u8]) {
        self.len += data.len() as u64;
        if !self.tail.is_empty() {
            let take = (BLOCK - self.tail.len()).min(data.len());
            self.tail.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.tail.len() < BLOCK {
                return;
            }
            let block = GenericArray::clone_from_slice(&self.tail);
            sha2::compress256(&mut self.state, std::slice::from_ref(&block));
            self.tail.clear();
        }
        let (blocks, rest) = as_blocks(data);
        if !blocks.is_empty() {
            sha2::compress256(&mut self.state, blocks);
        }
        self.tail.extend_from_slice(rest);
    }

    /// The digest of the bytes so far (the state stays usable).
    pub fn digest(&self) -> Digest {
        let mut state = self.state;
        let mut last = self.tail.clone();
        last.push(0x80);
        while last.len() % BLOCK != BLOCK - 8 {
            last.push(0);
        }
        last.extend_from_slice(&(self.len.wrapping_mul(8)).to_be_bytes());
        let blocks: Vec<_> = last.chunks_exact(BLOCK).map(GenericArray::clone_from_slice).collect();
        sha2::compress256(&mut state, &blocks);
        let mut out = [0u8; 32];
        for (o, w) in out.chunks_exact_mut(4).zip(state) {
            o.copy_from_slice(&w.to_be_bytes());
        }
        Digest::from_sha256_bytes(&out)
    }

    /// The state as bytes: the eight state words, the length, the pending tail.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32 + 8 + self.tail.len());
        for w in self.state {
            out.extend_from_slice(&w.to_be_bytes());
        }
        out.extend_from_slice(&self.len.to_be_bytes());
        out.extend_from_slice(&self.tail);
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BadHashState> {
        if bytes.len() < 40 {
            return Err(BadHashState);
        }
        let mut state = [0u32; 8];
        for (w, b) in state.iter_mut().zip(bytes[..32].chunks_exact(4)) {
            *w = u32::from_be_bytes(b.try_into().map_err(|_| BadHashState)?);
        }
        let len = u64::from_be_bytes(bytes[32..40].try_into().map_err(|_| BadHashState)?);
        let tail = bytes[40..].to_vec();
        if tail.len() as u64 != len % BLOCK as u64 {
            return Err(BadHashState);
        }
        Ok(RunningSha256 { state, len, tail })
    }

    /// The state as text (hex of [`RunningSha256::to_bytes`]), for a database column.
    pub fn to_hex(&self) -> String {
        hex::encode(self.to_bytes())
    }

    pub fn from_hex(s: &str) -> Result<Self, BadHashState> {
        Self::from_bytes(&hex::decode(s).map_err(|_| BadHashState)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest as _, Sha256};

    /// Deterministic bytes of every value.
    fn bytes(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 + i / 251) as u8).collect()
    }

    #[test]
    fn matches_sha2_at_every_split_and_survives_a_round_trip_through_text() {
        for n in [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 64 * 300 + 17] {
            let data = bytes(n);
            let want = Digest::from_sha256_bytes(&Sha256::digest(&data));
            for split in [0, 1, n / 3, n / 2, n.saturating_sub(1), n] {
                let split = split.min(n);
                let mut h = RunningSha256::new();
                h.update(&data[..split]);
                // Saved and resumed between the two parts, as between two chunk requests.
                let mut h = RunningSha256::from_hex(&h.to_hex()).expect("state reads back");
                h.update(&data[split..]);
                assert_eq!(h.len(), n as u64);
                assert_eq!(h.digest(), want, "n={n} split={split}");
            }
        }
    }

    #[test]
    fn refuses_a_damaged_state() {
        let mut h = RunningSha256::new();
        h.update(b"abc");
        let mut s = h.to_bytes();
        s.pop();
        assert!(RunningSha256::from_bytes(&s).is_err());
        assert!(RunningSha256::from_hex("zz").is_err());
    }
}
