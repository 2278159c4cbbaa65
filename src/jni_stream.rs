//! Java's `OutputStream` and `InputStream` as Rust's `Write` and `Read`, so that an export
//! or an import streams through the JNI boundary instead of crossing it as one array.
//!
//! Invariants:
//! - Bytes cross in chunks of [`CHUNK`] through one Java array per stream, so memory stays
//!   bounded whatever the size of the export or import, and no local reference piles up.
//! - An exception the Java stream throws stays pending: the Rust side sees an I/O error
//!   and returns, and the JVM then raises the stream's own exception (an `IOException`)
//!   to the caller, which says better than any message of ours what went wrong.

use std::io::{self, Read, Write};

use jni::JNIEnv;
use jni::objects::{JByteArray, JObject, JValue};

/// Bytes per crossing.
const CHUNK: usize = 64 * 1024;

fn java_failed(what: &str) -> io::Error {
    io::Error::other(format!("the Java stream's {what} threw"))
}

/// Writes into a `java.io.OutputStream`, buffering up to [`CHUNK`] bytes.
pub(crate) struct JavaOutput<'a, 'l> {
    env: &'a mut JNIEnv<'l>,
    stream: &'a JObject<'l>,
    array: JByteArray<'l>,
    buffer: Vec<u8>,
}

impl<'a, 'l> JavaOutput<'a, 'l> {
    pub(crate) fn new(
        env: &'a mut JNIEnv<'l>,
        stream: &'a JObject<'l>,
    ) -> jni::errors::Result<Self> {
        let array = env.new_byte_array(CHUNK as i32)?;
        Ok(JavaOutput {
            env,
            stream,
            array,
            buffer: Vec::with_capacity(CHUNK),
        })
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        // The buffer holds at most CHUNK bytes: a valid jsize.
        let len = self.buffer.len() as i32;
        // A Java byte is signed: the same bits, another type.
        let bytes: Vec<i8> = self.buffer.iter().map(|&b| b as i8).collect();
        self.env
            .set_byte_array_region(&self.array, 0, &bytes)
            .map_err(|_| java_failed("array copy"))?;
        self.env
            .call_method(
                self.stream,
                "write",
                "([BII)V",
                &[
                    JValue::Object(&self.array),
                    JValue::Int(0),
                    JValue::Int(len),
                ],
            )
            .map_err(|_| java_failed("write"))?;
        self.buffer.clear();
        Ok(())
    }
}

impl Write for JavaOutput<'_, '_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut rest = data;
        while !rest.is_empty() {
            let room = CHUNK - self.buffer.len();
            let (now, later) = rest.split_at(room.min(rest.len()));
            self.buffer.extend_from_slice(now);
            rest = later;
            if self.buffer.len() == CHUNK {
                self.send()?;
            }
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()?;
        self.env
            .call_method(self.stream, "flush", "()V", &[])
            .map_err(|_| java_failed("flush"))?;
        Ok(())
    }
}

/// Reads from a `java.io.InputStream`, [`CHUNK`] bytes at most per call.
pub(crate) struct JavaInput<'a, 'l> {
    env: &'a mut JNIEnv<'l>,
    stream: &'a JObject<'l>,
    array: JByteArray<'l>,
    /// The Java array's bytes as copied out, kept between reads.
    chunk: Vec<i8>,
}

impl<'a, 'l> JavaInput<'a, 'l> {
    pub(crate) fn new(
        env: &'a mut JNIEnv<'l>,
        stream: &'a JObject<'l>,
    ) -> jni::errors::Result<Self> {
        let array = env.new_byte_array(CHUNK as i32)?;
        Ok(JavaInput {
            env,
            stream,
            array,
            chunk: vec![0; CHUNK],
        })
    }
}

impl Read for JavaInput<'_, '_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let want = out.len().min(CHUNK) as i32;
        if want == 0 {
            return Ok(0);
        }
        let got = self
            .env
            .call_method(
                self.stream,
                "read",
                "([BII)I",
                &[
                    JValue::Object(&self.array),
                    JValue::Int(0),
                    JValue::Int(want),
                ],
            )
            .and_then(|v| v.i())
            .map_err(|_| java_failed("read"))?;
        if got <= 0 {
            return Ok(0);
        }
        let got = (got as usize).min(out.len());
        let chunk = &mut self.chunk[..got];
        self.env
            .get_byte_array_region(&self.array, 0, chunk)
            .map_err(|_| java_failed("array copy"))?;
        for (o, c) in out.iter_mut().zip(chunk.iter()) {
            *o = *c as u8;
        }
        Ok(got)
    }
}
