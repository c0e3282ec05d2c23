//! `multipart/form-data` bodies (RFC 7578), the only form in which MediaWiki's `action=upload`
//! takes a file. A body is described once and read as a stream as often as it is sent (each
//! retry opens its files again), so a file is never read whole into memory.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use zeroize::Zeroizing;

/// Where a file part's bytes come from.
#[derive(Clone)]
pub enum FileSource {
    /// `length` bytes of the file at `path`, from `offset` (a whole file, or one chunk of it).
    Path {
        path: PathBuf,
        offset: u64,
        length: u64,
    },
    /// Bytes the caller gave.
    Data(Arc<Vec<u8>>),
}

impl std::fmt::Debug for FileSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileSource::Path {
                path,
                offset,
                length,
            } => write!(f, "{} [{offset}, +{length}]", path.display()),
            FileSource::Data(data) => write!(f, "{} bytes", data.len()),
        }
    }
}

/// The size of the file at `path`, which must be a regular file this process can open now
/// (a request naming it is refused before any traffic otherwise). Err: why not, for a message.
pub(crate) fn sendable_file_len(path: &std::path::Path) -> std::result::Result<u64, String> {
    let length = match std::fs::metadata(path) {
        Ok(m) if m.is_file() => m.len(),
        Ok(_) => return Err("is not a regular file".into()),
        Err(e) => return Err(format!("cannot be read: {e}")),
    };
    File::open(path).map_err(|e| format!("cannot be opened: {e}"))?;
    Ok(length)
}

impl FileSource {
    pub fn len(&self) -> u64 {
        match self {
            FileSource::Path { length, .. } => *length,
            FileSource::Data(data) => data.len() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One file of a request: the parameter it goes in, its bytes, the name and type it is sent
/// with.
#[derive(Debug, Clone)]
pub struct FilePart {
    pub param: String,
    pub source: FileSource,
    pub filename: String,
    pub content_type: String,
}

/// A body's parts, in order, and the boundary between them.
pub(crate) struct Multipart {
    boundary: String,
    segments: Vec<Segment>,
}

enum Segment {
    /// Headers, a text value, separators: wiped when dropped (a token is one of the values).
    Bytes(Zeroizing<Vec<u8>>),
    File(FileSource),
}

/// A name or file name inside a quoted header parameter, as the HTML standard encodes it.
fn quoted(name: &str) -> String {
    name.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn random_boundary() -> String {
    use ring::rand::SecureRandom as _;
    let mut random = [0u8; 16];
    let _ = ring::rand::SystemRandom::new().fill(&mut random);
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!("mwauth-{hex}")
}

impl Multipart {
    /// A body of the text parameters `params`, then the `files`.
    pub(crate) fn new(params: &[(&str, &str)], files: &[FilePart]) -> Self {
        let boundary = random_boundary();
        let mut segments = Vec::with_capacity(params.len() + 2 * files.len() + 1);
        for (name, value) in params {
            let mut bytes = Zeroizing::new(Vec::with_capacity(64 + name.len() + value.len()));
            bytes.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n",
                    quoted(name)
                )
                .as_bytes(),
            );
            bytes.extend_from_slice(value.as_bytes());
            bytes.extend_from_slice(b"\r\n");
            segments.push(Segment::Bytes(bytes));
        }
        for file in files {
            let head = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
                quoted(&file.param),
                quoted(&file.filename),
                file.content_type
            );
            segments.push(Segment::Bytes(Zeroizing::new(head.into_bytes())));
            segments.push(Segment::File(file.source.clone()));
            segments.push(Segment::Bytes(Zeroizing::new(b"\r\n".to_vec())));
        }
        segments.push(Segment::Bytes(Zeroizing::new(
            format!("--{boundary}--\r\n").into_bytes(),
        )));
        Multipart { boundary, segments }
    }

    pub(crate) fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    /// The body's length in bytes, for its Content-Length (PHP's server takes no chunked body).
    pub(crate) fn length(&self) -> u64 {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Bytes(b) => b.len() as u64,
                Segment::File(f) => f.len(),
            })
            .sum()
    }

    /// The body as a stream, its files opened now.
    pub(crate) fn reader(&self) -> io::Result<BodyReader> {
        let mut parts = std::collections::VecDeque::with_capacity(self.segments.len());
        for segment in &self.segments {
            parts.push_back(match segment {
                Segment::Bytes(bytes) => Part::Bytes(bytes.clone(), 0),
                Segment::File(FileSource::Data(data)) => Part::Data(data.clone(), 0),
                Segment::File(FileSource::Path {
                    path,
                    offset,
                    length,
                }) => {
                    let mut file = File::open(path)?;
                    file.seek(SeekFrom::Start(*offset))?;
                    Part::File(file.take(*length), *length)
                }
            });
        }
        Ok(BodyReader { parts })
    }
}

enum Part {
    Bytes(Zeroizing<Vec<u8>>, usize),
    Data(Arc<Vec<u8>>, usize),
    /// The file's bytes, and how many are still to come.
    File(io::Take<File>, u64),
}

/// A multipart body being read.
pub(crate) struct BodyReader {
    parts: std::collections::VecDeque<Part>,
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(part) = self.parts.front_mut() {
            let n = match part {
                Part::Bytes(bytes, at) => {
                    let n = (bytes.len() - *at).min(buf.len());
                    buf[..n].copy_from_slice(&bytes[*at..*at + n]);
                    *at += n;
                    n
                }
                Part::Data(data, at) => {
                    let n = (data.len() - *at).min(buf.len());
                    buf[..n].copy_from_slice(&data[*at..*at + n]);
                    *at += n;
                    n
                }
                Part::File(file, left) => {
                    if *left == 0 {
                        0
                    } else {
                        let n = file.read(buf)?;
                        if n == 0 {
                            // The file got shorter than it was: the Content-Length sent would lie.
                            return Err(io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                "a file of the request got shorter while it was sent",
                            ));
                        }
                        *left -= n as u64;
                        n
                    }
                }
            };
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            self.parts.pop_front();
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(multipart: &Multipart) -> Vec<u8> {
        let mut out = Vec::new();
        multipart.reader().unwrap().read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn parts_are_framed_and_the_length_is_exact() {
        let dir = std::env::temp_dir().join(format!("mwauth-multipart-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.bin");
        std::fs::write(&path, b"0123456789").unwrap();
        let files = [
            FilePart {
                param: "chunk".into(),
                source: FileSource::Path {
                    path: path.clone(),
                    offset: 3,
                    length: 4,
                },
                filename: "a\"b.bin".into(),
                content_type: "application/octet-stream".into(),
            },
            FilePart {
                param: "file".into(),
                source: FileSource::Data(Arc::new(b"xyz".to_vec())),
                filename: "c.txt".into(),
                content_type: "text/plain".into(),
            },
        ];
        let multipart = Multipart::new(&[("action", "upload"), ("token", "t+\\")], &files);
        let text = String::from_utf8(body(&multipart)).unwrap();
        let b = &multipart.boundary;
        assert_eq!(
            text,
            format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"action\"\r\n\r\nupload\r\n\
                 --{b}\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\nt+\\\r\n\
                 --{b}\r\nContent-Disposition: form-data; name=\"chunk\"; filename=\"a%22b.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n3456\r\n\
                 --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.txt\"\r\nContent-Type: text/plain\r\n\r\nxyz\r\n\
                 --{b}--\r\n"
            )
        );
        assert_eq!(multipart.length(), text.len() as u64);
        // Read again (a retry): the same bytes.
        assert_eq!(body(&multipart), text.as_bytes());
        assert!(multipart.content_type().ends_with(b.as_str()));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_that_shrank_is_an_error_not_a_short_body() {
        let dir = std::env::temp_dir().join(format!("mwauth-multipart2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.bin");
        std::fs::write(&path, b"01").unwrap();
        let files = [FilePart {
            param: "file".into(),
            source: FileSource::Path {
                path,
                offset: 0,
                length: 10,
            },
            filename: "f.bin".into(),
            content_type: "application/octet-stream".into(),
        }];
        let multipart = Multipart::new(&[], &files);
        let mut out = Vec::new();
        let error = multipart
            .reader()
            .unwrap()
            .read_to_end(&mut out)
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
