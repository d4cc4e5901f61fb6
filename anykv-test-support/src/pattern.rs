//! Large values that are never held whole: a reader that makes a pattern as it is read, and a
//! check of what comes back against it.

use std::io::{self, Read};

/// `len` bytes of a pattern, produced as they are read; optionally failing (as a source that
/// went away) once `fail_at` bytes were read.
#[derive(Debug, Clone)]
pub struct Pattern {
    at: u64,
    len: u64,
    fail_at: Option<u64>,
}

impl Pattern {
    /// A pattern of `len` bytes.
    pub fn new(len: u64) -> Self {
        Pattern {
            at: 0,
            len,
            fail_at: None,
        }
    }

    /// The same pattern, failing with `ConnectionReset` ("source went away") once `at` bytes
    /// were read.
    pub fn failing_at(mut self, at: u64) -> Self {
        self.fail_at = Some(at);
        self
    }

    /// The pattern's byte at offset `at`.
    pub fn byte(at: u64) -> u8 {
        (at.wrapping_mul(2_654_435_761) >> 13) as u8
    }
}

impl Read for Pattern {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.fail_at.is_some_and(|fail_at| self.at >= fail_at) {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "source went away",
            ));
        }
        let left = usize::try_from(self.len - self.at).unwrap_or(usize::MAX);
        let n = buf.len().min(left);
        for (offset, byte) in buf[..n].iter_mut().enumerate() {
            *byte = Self::byte(self.at + offset as u64);
        }
        self.at += n as u64;
        Ok(n)
    }
}

/// Checks bytes read back, piece by piece, against the pattern.
#[derive(Debug, Default)]
pub struct PatternCheck {
    at: u64,
}

impl PatternCheck {
    /// Checks the next piece; an error names the first wrong byte.
    pub fn check(&mut self, piece: &[u8]) -> Result<(), String> {
        for (offset, &byte) in piece.iter().enumerate() {
            let at = self.at + offset as u64;
            if byte != Pattern::byte(at) {
                return Err(format!("byte {at} is {byte}, not {}", Pattern::byte(at)));
            }
        }
        self.at += piece.len() as u64;
        Ok(())
    }

    /// How many bytes were checked.
    pub fn checked(&self) -> u64 {
        self.at
    }

    /// Reads `reader` to its end in 64 KiB pieces, checking each; returns how many bytes it
    /// read.
    pub fn read_all(reader: &mut impl Read) -> Result<u64, String> {
        let mut check = PatternCheck::default();
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let n = reader.read(&mut buffer).map_err(|e| e.to_string())?;
            if n == 0 {
                return Ok(check.checked());
            }
            check.check(&buffer[..n])?;
        }
    }
}
