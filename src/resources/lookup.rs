//! What the finders and readers of the non-EC2 services share: bounded concurrent lookups,
//! which lookup errors mean "no such resource", and how a find keeps what it looked up.

use std::collections::BTreeMap;
use std::future::Future;

use futures_util::{StreamExt, TryStreamExt};

use super::tags::Owner;
use super::{Created, Found};
use crate::aws::{ApiError, Ctx};

/// The ids of a `find` as owned strings, for lookups run concurrently.
pub fn owned(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|id| id.to_string()).collect()
}

/// How many lookups a `find` runs at once (enough to be quick, few enough not to be throttled).
const FIND_CONCURRENCY: usize = 8;

/// Runs `lookup` on every item, at most [`FIND_CONCURRENCY`] at a time; answers in item order.
pub async fn each<I, T, F, Fut>(items: I, lookup: F) -> Result<Vec<T>, ApiError>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    futures_util::stream::iter(items)
        .map(lookup)
        .buffered(FIND_CONCURRENCY)
        .try_collect()
        .await
}

/// What a `find` answers from its lookups (`None` for ids that do not exist): every one found
/// when importing (`ids` given), only those tagged with the stack when recovering.
pub fn keep(ctx: &Ctx, ids: &[&str], looked_up: Vec<Option<(Owner, Created)>>) -> Vec<Found> {
    looked_up
        .into_iter()
        .flatten()
        .filter(|(owner, _)| !ids.is_empty() || owner.belongs_to(&ctx.stack))
        .map(|(owner, created)| Found { owner, created })
        .collect()
}

/// Each candidate paired with the owner its tags name, the tags read by `tags_of` from the
/// candidate's tag key (its ARN, for the services that tag by ARN). A candidate deleted between
/// the listing and the tag read is dropped.
pub async fn owned_by_tags<F, Fut>(
    candidates: Vec<(String, Created)>,
    tags_of: F,
) -> Result<Vec<Option<(Owner, Created)>>, ApiError>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<BTreeMap<String, String>, ApiError>>,
{
    each(candidates, |(key, created)| {
        let tags = tags_of(key);
        async move {
            match tags.await {
                Ok(tags) => Ok(Some((
                    Owner::of(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
                    created,
                ))),
                Err(e) if e.is_not_found() => Ok(None),
                Err(e) => Err(e),
            }
        }
    })
    .await
}

/// A lookup of an id that names nothing: not found, or not even a well-formed id.
pub fn absent(e: &ApiError) -> bool {
    e.is_not_found()
        || matches!(
            e.code.as_str(),
            "ValidationException" | "BadRequest" | "InvalidParameterValue" | "ValidationError"
        )
}

/// The live list where it differs from the recorded one as a set; else the recorded list
/// (so a reordering alone reads as no change).
pub fn set_or_recorded(recorded: &[String], live: Vec<String>) -> Vec<String> {
    let same = recorded.iter().collect::<std::collections::BTreeSet<_>>() == live.iter().collect();
    if same { recorded.to_vec() } else { live }
}

/// A lookup's answer, with "no such resource" as `None` (see [`absent`]).
pub fn present<T>(answer: Result<T, ApiError>) -> Result<Option<T>, ApiError> {
    match answer {
        Ok(found) => Ok(Some(found)),
        Err(e) if absent(&e) => Ok(None),
        Err(e) => Err(e),
    }
}
