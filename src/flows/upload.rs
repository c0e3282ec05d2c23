//! `action=upload`: a file in one request, or in chunks through MediaWiki's upload stash
//! (`stash=1`, `offset`, `filesize`, `filekey` from the second chunk on), then the request that
//! publishes the stashed file under its name. The steps are `ApiRequest`s the session sends like
//! any other (tokens, retries, re-login); this module plans them and reads their answers.

use crate::error::{Code, Error, Result};
use crate::json::{Fields, expect_object};
use crate::multipart::{FilePart, FileSource, sendable_file_len};
use crate::params::{ApiRequest, Method};
use serde_json::{Map, Value};
use std::path::PathBuf;

/// What `chunk_bytes` is unless the request says: PHP's default `upload_max_filesize` is 2 MB.
pub const DEFAULT_CHUNK_BYTES: u64 = 1024 * 1024;

/// A checked `mw_upload` object.
#[derive(Debug, Clone)]
pub struct UploadRequest {
    /// The name on the wiki (`Target.png`).
    pub filename: String,
    pub path: PathBuf,
    /// The file's size when the request was checked.
    pub length: u64,
    pub text: Option<String>,
    pub comment: Option<String>,
    pub ignorewarnings: bool,
    pub chunk_bytes: u64,
}

impl UploadRequest {
    pub fn from_json(value: &Value) -> Result<Self> {
        let mut fields = Fields::new(expect_object(value, "request")?, "request");
        let filename = fields.required_str("filename")?.to_string();
        if filename.trim().is_empty() {
            return Err(fields.invalid("filename", "is empty"));
        }
        let path = PathBuf::from(fields.required_str("path")?);
        let length = sendable_file_len(&path).map_err(|why| fields.invalid("path", &why))?;
        if length == 0 {
            return Err(fields.invalid("path", "is an empty file (MediaWiki refuses those)"));
        }
        let text = fields.optional_str("text")?.map(str::to_string);
        let comment = fields.optional_str("comment")?.map(str::to_string);
        let ignorewarnings = fields.bool("ignorewarnings", false)?;
        let chunk_bytes = fields.positive_u64("chunk_bytes", DEFAULT_CHUNK_BYTES)?;
        fields.finish()?;
        Ok(UploadRequest {
            filename,
            path,
            length,
            text,
            comment,
            ignorewarnings,
            chunk_bytes,
        })
    }

    /// Whether the file goes in chunks.
    pub fn is_chunked(&self) -> bool {
        self.length > self.chunk_bytes
    }

    fn request(&self, mut params: Vec<(&str, String)>, file: Option<FilePart>) -> ApiRequest {
        params.insert(0, ("action", "upload".to_string()));
        params.insert(1, ("filename", self.filename.clone()));
        if self.ignorewarnings {
            params.push(("ignorewarnings", "1".to_string()));
        }
        ApiRequest {
            params: params
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            method: Method::Post,
            token: Some("csrf".into()),
            token_param: "token".into(),
            files: file.into_iter().collect(),
            continue_batches: None,
        }
    }

    fn part(&self, param: &str, offset: u64, length: u64) -> FilePart {
        FilePart {
            param: param.into(),
            source: FileSource::Path {
                path: self.path.clone(),
                offset,
                length,
            },
            filename: self.filename.clone(),
            content_type: "application/octet-stream".into(),
        }
    }

    /// The publishing parameters: the page text and the comment.
    fn page(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        params.extend(self.text.clone().map(|t| ("text", t)));
        params.extend(self.comment.clone().map(|c| ("comment", c)));
        params
    }

    /// The whole file in one request.
    pub(crate) fn whole(&self) -> ApiRequest {
        self.request(self.page(), Some(self.part("file", 0, self.length)))
    }

    /// The chunk at `offset` (`filekey`: the previous chunk's answer's, never on the first).
    pub(crate) fn chunk(&self, offset: u64, filekey: Option<&str>) -> ApiRequest {
        let length = self.chunk_bytes.min(self.length - offset);
        let mut params = vec![
            ("stash", "1".to_string()),
            ("offset", offset.to_string()),
            ("filesize", self.length.to_string()),
        ];
        params.extend(filekey.map(|key| ("filekey", key.to_string())));
        self.request(params, Some(self.part("chunk", offset, length)))
    }

    /// Publishes the stashed file (`filekey`: the last chunk's answer's).
    pub(crate) fn publish(&self, filekey: &str) -> ApiRequest {
        let mut params = vec![("filekey", filekey.to_string())];
        params.extend(self.page());
        self.request(params, None)
    }
}

/// What the answer to one upload request says.
#[derive(Debug, PartialEq)]
pub(crate) enum Step {
    /// A chunk is in: send the one at `offset`, with `filekey`.
    Continue { offset: u64, filekey: String },
    /// The last chunk is in, under `filekey`, or (`filekey` None) the file is published.
    Success { filekey: Option<String> },
    /// The wiki has doubts (an existing or duplicate file, ...): the upload stops here.
    Warning,
}

/// The `upload` object of an answer and what it says.
pub(crate) fn read_answer(mut answer: Map<String, Value>) -> Result<(Map<String, Value>, Step)> {
    let not_an_upload = || {
        Error::of(
            Code::NotJson,
            "the wiki's answer to action=upload has no \"upload\" object with a result",
        )
    };
    let Some(Value::Object(upload)) = answer.remove("upload") else {
        return Err(not_an_upload());
    };
    let filekey = upload
        .get("filekey")
        .and_then(Value::as_str)
        .map(str::to_string);
    let step = match upload.get("result").and_then(Value::as_str) {
        Some("Continue") => Step::Continue {
            offset: upload
                .get("offset")
                .and_then(Value::as_u64)
                .ok_or_else(not_an_upload)?,
            filekey: filekey.ok_or_else(not_an_upload)?,
        },
        Some("Success") => Step::Success { filekey },
        Some("Warning") => Step::Warning,
        _ => return Err(not_an_upload()),
    };
    Ok((upload, step))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(length: usize, chunk_bytes: u64) -> (UploadRequest, PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "mwauth-upload-{}-{length}-{chunk_bytes}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.bin");
        std::fs::write(&path, vec![7u8; length]).unwrap();
        let r = UploadRequest::from_json(&json!({
            "filename": "F.bin", "path": path.to_str().unwrap(), "comment": "c",
            "ignorewarnings": true, "chunk_bytes": chunk_bytes
        }))
        .unwrap();
        (r, dir)
    }

    fn param<'a>(r: &'a ApiRequest, name: &str) -> Option<&'a str> {
        r.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn chunks_carry_offset_filesize_and_the_previous_key() {
        let (r, dir) = request(2500, 1024);
        assert!(r.is_chunked());
        let first = r.chunk(0, None);
        assert_eq!(param(&first, "stash"), Some("1"));
        assert_eq!(param(&first, "filesize"), Some("2500"));
        assert_eq!(param(&first, "filekey"), None);
        assert_eq!(param(&first, "ignorewarnings"), Some("1"));
        assert_eq!(first.files[0].param, "chunk");
        assert_eq!(first.files[0].source.len(), 1024);
        let last = r.chunk(2048, Some("k2"));
        assert_eq!(param(&last, "filekey"), Some("k2"));
        assert_eq!(param(&last, "offset"), Some("2048"));
        assert_eq!(last.files[0].source.len(), 452);
        let publish = r.publish("k3");
        assert_eq!(param(&publish, "filekey"), Some("k3"));
        assert_eq!(param(&publish, "comment"), Some("c"));
        assert!(publish.files.is_empty());
        assert_eq!(publish.token.as_deref(), Some("csrf"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_small_file_goes_whole() {
        let (r, dir) = request(100, 1024);
        assert!(!r.is_chunked());
        let whole = r.whole();
        assert_eq!(whole.files[0].param, "file");
        assert_eq!(param(&whole, "stash"), None);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn answers_are_read() {
        let step = |v: Value| read_answer(v.as_object().unwrap().clone()).map(|(_, s)| s);
        assert_eq!(
            step(json!({"upload": {"result": "Continue", "offset": 1024, "filekey": "a"}}))
                .unwrap(),
            Step::Continue {
                offset: 1024,
                filekey: "a".into()
            }
        );
        assert_eq!(
            step(json!({"upload": {"result": "Success", "filekey": "b"}})).unwrap(),
            Step::Success {
                filekey: Some("b".into())
            }
        );
        assert_eq!(
            step(json!({"upload": {"result": "Warning", "warnings": {"exists": "F.bin"}}}))
                .unwrap(),
            Step::Warning
        );
        assert!(step(json!({"upload": {"result": "Continue"}})).is_err());
        assert!(step(json!({"edit": {}})).is_err());
    }

    #[test]
    fn bad_requests_are_refused() {
        for (value, code) in [
            (
                json!({"filename": "F", "path": "/nonexistent/x"}),
                "invalid_value",
            ),
            (json!({"filename": "F", "path": "/"}), "invalid_value"),
            (
                json!({"filename": "", "path": "/etc/hostname"}),
                "invalid_value",
            ),
            (json!({"path": "/etc/hostname"}), "missing_field"),
            (
                json!({"filename": "F", "path": "/etc/hostname", "chunk_bytes": 0}),
                "invalid_value",
            ),
            (
                json!({"filename": "F", "path": "/etc/hostname", "x": 1}),
                "unknown_key",
            ),
        ] {
            assert_eq!(
                UploadRequest::from_json(&value).unwrap_err().code(),
                code,
                "{value}"
            );
        }
    }
}
