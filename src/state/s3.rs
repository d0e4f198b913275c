//! State in S3 for teams. S3 itself is the lock: the lock object is created with
//! `If-None-Match: *` (only one writer can create it) and removed with `If-Match` on its
//! ETag; the state object is written with `If-Match` on the ETag last read, so a writer
//! that was overtaken is refused instead of overwriting. Before each write (or removal) the
//! state as last read is put to `<key>.backup`.

use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;

use super::{Backend, LockInfo, State, StateError, parse_state};

/// `s3://bucket/key` as given to `--backend` or `[backend.s3]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub bucket: String,
    pub key: String,
}

impl Location {
    pub fn parse(url: &str) -> Option<Location> {
        let rest = url.strip_prefix("s3://")?;
        let (bucket, key) = rest.split_once('/')?;
        (!bucket.is_empty() && !key.is_empty()).then(|| Location {
            bucket: bucket.into(),
            key: key.into(),
        })
    }
}

pub struct S3Backend {
    client: aws_sdk_s3::Client,
    location: Location,
    lock_key: String,
    /// ETag of the state object as last read or written; `None` when it did not exist.
    etag: Mutex<Option<String>>,
    /// The state object's bytes as last read or written (kept even when they do not parse):
    /// what a write replaces, and so what its backup holds.
    last: Mutex<Option<Vec<u8>>>,
}

impl S3Backend {
    pub fn new(client: aws_sdk_s3::Client, location: Location) -> S3Backend {
        let lock_key = format!("{}.lock", location.key);
        S3Backend {
            client,
            location,
            lock_key,
            etag: Mutex::new(None),
            last: Mutex::new(None),
        }
    }

    /// `<key>.backup`: the state before the last write.
    pub fn backup_key(&self) -> String {
        format!("{}.backup", self.location.key)
    }

    fn set_last(&self, bytes: Option<Vec<u8>>) {
        if let Ok(mut slot) = self.last.lock() {
            *slot = bytes;
        }
    }

    /// Puts the state as last read or written to the backup object. The write that follows is
    /// conditional on that same version, so the backup is the state it replaces (or, if that
    /// write is refused as overtaken, a state that was current before).
    async fn back_up(&self) -> Result<(), StateError> {
        let Some(bytes) = self.last.lock().ok().and_then(|b| b.clone()) else {
            return Ok(());
        };
        self.client
            .put_object()
            .bucket(&self.location.bucket)
            .key(self.backup_key())
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.sdk_error("s3:PutObject", e))
    }

    fn remote(&self, operation: &'static str, message: impl std::fmt::Display) -> StateError {
        StateError::Remote {
            path: self.describe(),
            operation,
            message: message.to_string(),
        }
    }

    /// AWS's answer; or, for a request that got none, why (no credentials, with what to set;
    /// the endpoint that could not be reached).
    fn sdk_error<E, R>(&self, operation: &'static str, err: aws_sdk_s3::error::SdkError<E, R>) -> StateError
    where
        E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let e = crate::aws::api(operation)(err);
        let message = match e.code.as_str() {
            "NoCredentials" => e.message,
            "DispatchFailure" | "Timeout" => {
                let region = self.client.config().region().map_or("us-east-1", |r| r.as_ref());
                let endpoint = crate::aws::endpoint_for("s3", region);
                format!("cannot reach S3 at {endpoint}: {}", e.message)
            }
            code => format!("{code}: {}", e.message),
        };
        self.remote(operation, message)
    }

    fn set_etag(&self, etag: Option<String>) {
        if let Ok(mut slot) = self.etag.lock() {
            *slot = etag;
        }
    }

    fn last_etag(&self) -> Option<String> {
        self.etag.lock().ok().and_then(|e| e.clone())
    }

    /// Reads an object: `None` when it does not exist.
    async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, Option<String>)>, StateError> {
        match self
            .client
            .get_object()
            .bucket(&self.location.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => {
                let etag = out.e_tag().map(String::from);
                let bytes = out.body.collect().await.map_err(|e| self.remote("s3:GetObject", e))?;
                Ok(Some((bytes.to_vec(), etag)))
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            Err(e) => Err(self.sdk_error("s3:GetObject", e)),
        }
    }
}

/// HTTP status of a failed S3 call (412 precondition failed, 409 conditional conflict).
fn status<E>(err: &aws_sdk_s3::error::SdkError<E>) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}

impl Backend for S3Backend {
    fn describe(&self) -> String {
        format!("s3://{}/{}", self.location.bucket, self.location.key)
    }

    async fn load(&self) -> Result<Option<State>, StateError> {
        match self.get(&self.location.key).await? {
            Some((bytes, etag)) => {
                self.set_etag(etag);
                let parsed = parse_state(&self.describe(), &bytes).map(Some);
                self.set_last(Some(bytes));
                parsed
            }
            None => {
                self.set_etag(None);
                self.set_last(None);
                Ok(None)
            }
        }
    }

    async fn save(&self, state: &State) -> Result<(), StateError> {
        let body = serde_json::to_vec_pretty(state).map_err(|source| StateError::Corrupt {
            path: self.describe(),
            source,
        })?;
        self.back_up().await?;
        let mut attempt = 0;
        loop {
            let put = self
                .client
                .put_object()
                .bucket(&self.location.bucket)
                .key(&self.location.key)
                .body(ByteStream::from(body.clone()));
            let put = match self.last_etag() {
                Some(etag) => put.if_match(etag),
                None => put.if_none_match("*"),
            };
            match put.send().await {
                Ok(out) => {
                    self.set_etag(out.e_tag().map(String::from));
                    self.set_last(Some(body));
                    return Ok(());
                }
                Err(e) if status(&e) == Some(412) => return Err(StateError::Conflict { path: self.describe() }),
                // A concurrent conditional write on the same key is still in flight: try again.
                Err(e) if status(&e) == Some(409) && attempt < 5 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                }
                Err(e) => return Err(self.sdk_error("s3:PutObject", e)),
            }
        }
    }

    async fn remove(&self) -> Result<(), StateError> {
        self.back_up().await?;
        let delete = self
            .client
            .delete_object()
            .bucket(&self.location.bucket)
            .key(&self.location.key);
        let delete = match self.last_etag() {
            Some(etag) => delete.if_match(etag),
            None => delete,
        };
        match delete.send().await {
            Ok(_) => {
                self.set_etag(None);
                self.set_last(None);
                Ok(())
            }
            Err(e) if status(&e) == Some(412) => Err(StateError::Conflict { path: self.describe() }),
            Err(e) if status(&e) == Some(404) => Ok(()),
            Err(e) => Err(self.sdk_error("s3:DeleteObject", e)),
        }
    }

    async fn lock(&self, info: &LockInfo) -> Result<(), StateError> {
        let body = serde_json::to_vec_pretty(info).unwrap_or_default();
        let mut attempt = 0;
        loop {
            let put = self
                .client
                .put_object()
                .bucket(&self.location.bucket)
                .key(&self.lock_key)
                .if_none_match("*")
                .body(ByteStream::from(body.clone()));
            match put.send().await {
                Ok(_) => return Ok(()),
                Err(e) if status(&e) == Some(412) => {
                    let holder = self.current_lock().await?.unwrap_or_else(|| LockInfo {
                        id: "unknown".into(),
                        holder: "unknown (lock released meanwhile)".into(),
                        pid: 0,
                        created: 0,
                        operation: "unknown".into(),
                    });
                    return Err(StateError::Locked {
                        stack: self.describe(),
                        info: holder,
                    });
                }
                Err(e) if status(&e) == Some(409) && attempt < 5 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                }
                Err(e) => return Err(self.sdk_error("s3:PutObject", e)),
            }
        }
    }

    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        let Some((bytes, etag)) = self.get(&self.lock_key).await? else {
            return Err(StateError::NoSuchLock(id.to_string()));
        };
        let held: Option<LockInfo> = serde_json::from_slice(&bytes).ok();
        if held.as_ref().is_some_and(|h| h.id != id) && id != "unknown" {
            return Err(StateError::NoSuchLock(id.to_string()));
        }
        let delete = self
            .client
            .delete_object()
            .bucket(&self.location.bucket)
            .key(&self.lock_key);
        let delete = match etag {
            Some(etag) => delete.if_match(etag),
            None => delete,
        };
        match delete.send().await {
            Ok(_) => Ok(()),
            Err(e) if status(&e) == Some(412) => Err(StateError::NoSuchLock(id.to_string())),
            Err(e) => Err(self.sdk_error("s3:DeleteObject", e)),
        }
    }

    async fn current_lock(&self) -> Result<Option<LockInfo>, StateError> {
        Ok(self.get(&self.lock_key).await?.map(|(bytes, _)| {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| LockInfo {
                id: "unknown".into(),
                holder: "unknown (lock object unreadable)".into(),
                pid: 0,
                created: 0,
                operation: "unknown".into(),
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_from_urls() {
        assert_eq!(
            Location::parse("s3://team-state/agentfs/fsverify.json"),
            Some(Location {
                bucket: "team-state".into(),
                key: "agentfs/fsverify.json".into()
            })
        );
        assert_eq!(Location::parse("s3://bucket-only"), None);
        assert_eq!(Location::parse("file:///x"), None);
    }
}
