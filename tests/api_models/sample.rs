//! Values of an exact length that a regular expression accepts, built from the expression's
//! syntax tree (`regex-syntax`'s HIR): for each node the set of lengths it can match is
//! computed, and a value is then put together top-down so that every part takes a length its
//! remainder can still complete. This reaches values that fixed seeds cannot, such as a
//! version `[1-9][0-9]{0,4}` or a URL that must contain `/.well-known/openid-configuration`.

use regex_syntax::hir::{Class, Hir, HirKind};

/// Lengths a node can match, as flags indexed by length (in characters) up to a cap.
type Lengths = Vec<bool>;

/// A string of exactly `len` characters that `regex` matches, if the expression allows one;
/// lookarounds and anchors are taken as matching the empty string, so the caller checks the
/// answer against the real expression.
pub fn of_len(regex: &str, len: usize) -> Option<String> {
    let hir = regex_syntax::parse(regex).ok()?;
    let mut out = String::new();
    build(&hir, len, len, &mut out).then_some(out)
}

fn single(len: usize, cap: usize) -> Lengths {
    let mut set = vec![false; cap + 1];
    if len <= cap {
        set[len] = true;
    }
    set
}

fn union(a: &mut Lengths, b: &Lengths) {
    for (x, y) in a.iter_mut().zip(b) {
        *x |= *y;
    }
}

/// Every sum of a length of `a` and a length of `b`, up to the cap.
fn sum(a: &Lengths, b: &Lengths) -> Lengths {
    let cap = a.len() - 1;
    let mut out = vec![false; cap + 1];
    let right: Vec<usize> = (0..=cap).filter(|&j| b[j]).collect();
    for i in (0..=cap).filter(|&i| a[i]) {
        for &j in right.iter().take_while(|&&j| i + j <= cap) {
            out[i + j] = true;
        }
    }
    out
}

/// `start` followed by any number of `step`s.
fn closure(start: &Lengths, step: &Lengths) -> Lengths {
    let mut out = start.clone();
    let steps: Vec<usize> = (1..step.len()).filter(|&s| step[s]).collect();
    for l in 1..out.len() {
        if !out[l] {
            out[l] = steps.iter().any(|&s| s <= l && out[l - s]);
        }
    }
    out
}

fn lengths(hir: &Hir, cap: usize) -> Lengths {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => single(0, cap),
        HirKind::Literal(lit) => single(String::from_utf8_lossy(&lit.0).chars().count(), cap),
        HirKind::Class(class) => match pick(class) {
            Some(_) => single(1, cap),
            None => vec![false; cap + 1],
        },
        HirKind::Capture(capture) => lengths(&capture.sub, cap),
        HirKind::Alternation(alternatives) => {
            let mut out = vec![false; cap + 1];
            for alternative in alternatives {
                union(&mut out, &lengths(alternative, cap));
            }
            out
        }
        HirKind::Concat(items) => items
            .iter()
            .fold(single(0, cap), |acc, item| sum(&acc, &lengths(item, cap))),
        HirKind::Repetition(rep) => {
            let (required, optional) = repetition(&lengths(&rep.sub, cap), rep.min, rep.max, cap);
            sum(&required[rep.min as usize], optional.last().unwrap_or(&single(0, cap)))
        }
    }
}

/// For a repetition of `sub` (its lengths), `min..=max` times: the lengths of `k` required
/// copies for each `k` up to `min`, and the lengths the optional copies after them can take:
/// `optional[n]` with `n` copies still allowed (a single entry when there is no maximum).
fn repetition(sub: &Lengths, min: u32, max: Option<u32>, cap: usize) -> (Vec<Lengths>, Vec<Lengths>) {
    let mut required = vec![single(0, cap)];
    for _ in 0..min {
        let next = sum(required.last().unwrap_or(&single(0, cap)), sub);
        required.push(next);
    }
    let optional = match max {
        None => vec![closure(&single(0, cap), sub)],
        Some(max) => {
            let mut maybe = sub.clone();
            maybe[0] = true;
            // Beyond `cap` copies, more add nothing: each useful copy takes a character.
            let mut optional = vec![single(0, cap)];
            for _ in 0..(max - min).min(cap as u32) {
                let next = sum(optional.last().unwrap_or(&single(0, cap)), &maybe);
                optional.push(next);
            }
            optional
        }
    };
    (required, optional)
}

/// What the optional copies can still take with `allowed` of them left (`None`: no maximum).
fn still(optional: &[Lengths], allowed: Option<usize>) -> &Lengths {
    match allowed {
        Some(n) => &optional[n.min(optional.len() - 1)],
        None => &optional[0],
    }
}

/// A character of the class, preferring plain ones.
fn pick(class: &Class) -> Option<char> {
    match class {
        Class::Unicode(unicode) => {
            let ranges = unicode.ranges();
            let contains = |c: char| ranges.iter().any(|r| r.start() <= c && c <= r.end());
            ['a', '0', 'A', '_', '-']
                .into_iter()
                .find(|&c| contains(c))
                .or_else(|| ranges.first().map(|r| r.start()))
        }
        Class::Bytes(bytes) => bytes
            .ranges()
            .iter()
            .flat_map(|r| r.start()..=r.end())
            .find(u8::is_ascii_alphanumeric)
            .or_else(|| bytes.ranges().first().map(|r| r.start()))
            .filter(u8::is_ascii)
            .map(char::from),
    }
}

/// Appends a value of exactly `len` characters that `hir` matches; false if there is none.
fn build(hir: &Hir, len: usize, cap: usize, out: &mut String) -> bool {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => len == 0,
        HirKind::Literal(lit) => {
            let text = String::from_utf8_lossy(&lit.0);
            let fits = text.chars().count() == len;
            if fits {
                out.push_str(&text);
            }
            fits
        }
        HirKind::Class(class) => match pick(class) {
            Some(c) if len == 1 => {
                out.push(c);
                true
            }
            _ => false,
        },
        HirKind::Capture(capture) => build(&capture.sub, len, cap, out),
        HirKind::Alternation(alternatives) => alternatives
            .iter()
            .find(|a| lengths(a, cap)[len])
            .is_some_and(|a| build(a, len, cap, out)),
        HirKind::Concat(items) => {
            // The lengths each suffix of the items can take, so every item leaves a remainder
            // that the items after it can fill.
            let mut suffixes = vec![single(0, cap)];
            for item in items.iter().rev() {
                let next = sum(&lengths(item, cap), suffixes.last().unwrap_or(&single(0, cap)));
                suffixes.push(next);
            }
            suffixes.reverse();
            if !suffixes[0][len] {
                return false;
            }
            let mut rest = len;
            for (i, item) in items.iter().enumerate() {
                let own = lengths(item, cap);
                let Some(take) = (0..=rest).find(|&l| own[l] && suffixes[i + 1][rest - l]) else {
                    return false;
                };
                if !build(item, take, cap, out) {
                    return false;
                }
                rest -= take;
            }
            rest == 0
        }
        HirKind::Repetition(rep) => {
            let sub = lengths(&rep.sub, cap);
            let (required, optional) = repetition(&sub, rep.min, rep.max, cap);
            let min = rep.min as usize;
            let mut allowed = rep.max.map(|max| (max - rep.min) as usize);
            if !sum(&required[min], still(&optional, allowed))[len] {
                return false;
            }
            let mut rest = len;
            for copy in 0..min {
                let after = sum(&required[min - copy - 1], still(&optional, allowed));
                let Some(take) = (0..=rest).find(|&l| sub[l] && after[rest - l]) else {
                    return false;
                };
                if !build(&rep.sub, take, cap, out) {
                    return false;
                }
                rest -= take;
            }
            // The optional copies: each takes a non-empty length whose remainder the copies
            // still allowed can fill.
            while rest > 0 {
                if allowed == Some(0) {
                    return false;
                }
                allowed = allowed.map(|n| n - 1);
                let after = still(&optional, allowed);
                let Some(take) = (1..=rest).find(|&l| sub[l] && after[rest - l]) else {
                    return false;
                };
                if !build(&rep.sub, take, cap, out) {
                    return false;
                }
                rest -= take;
            }
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::of_len;

    #[test]
    fn values_of_exact_lengths() {
        assert_eq!(of_len("^[1-9][0-9]{0,4}$", 5).as_deref(), Some("10000"));
        assert_eq!(of_len("^[1-9][0-9]{0,4}$", 6), None);
        let url = r"^[^\s?#]+/\.well-known/(openid-configuration|oauth-authorization-server)(/[^\s?#]+)?$";
        let found = of_len(url, 40).unwrap();
        assert_eq!(found.chars().count(), 40);
        assert!(regex::Regex::new(url).unwrap().is_match(&found), "{found}");
        assert_eq!(of_len("^(|.*/)$", 3).as_deref(), Some("aa/"));
        assert_eq!(of_len("^[a-z]{3}$", 2), None);
    }
}
