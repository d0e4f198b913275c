//! Single-value rules taken from the AWS APIs (names, paths, CIDRs, tags).
//! Each returns `Err(what would be right)` so callers can phrase the diagnostic.

use std::sync::LazyLock;

use ipnet::Ipv4Net;
use regex::Regex;

fn regex(pattern: &str) -> Regex {
    // The patterns are literals in this file, covered by the tests below.
    Regex::new(pattern).unwrap_or_else(|e| panic!("bad built-in pattern {pattern}: {e}"))
}

static MOUNT_PATH: LazyLock<Regex> = LazyLock::new(|| regex(r"^/mnt/[a-zA-Z0-9._-]+/?$"));
static RUNTIME_NAME: LazyLock<Regex> = LazyLock::new(|| regex(r"^[a-zA-Z][a-zA-Z0-9_]{0,47}$"));
static ROLE_NAME: LazyLock<Regex> = LazyLock::new(|| regex(r"^[\w+=,.@-]{1,64}$"));
static STACK_NAME: LazyLock<Regex> = LazyLock::new(|| regex(r"^[a-zA-Z][a-zA-Z0-9-]{0,31}$"));
static REGION: LazyLock<Regex> = LazyLock::new(|| regex(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$"));
static BUCKET: LazyLock<Regex> = LazyLock::new(|| regex(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"));
static SG_NAME: LazyLock<Regex> = LazyLock::new(|| regex(r"^[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{1,255}$"));
static ENV_NAME: LazyLock<Regex> = LazyLock::new(|| regex(r"^[a-zA-Z_][a-zA-Z0-9_]{0,99}$"));
static OCTAL_MODE: LazyLock<Regex> = LazyLock::new(|| regex(r"^[0-7]{3,4}$"));

/// AgentCore's `mountPath`: the API's pattern and the SDK model's minimum length of 6.
pub fn mount_path(path: &str) -> Result<(), String> {
    if path.len() < 6 {
        return Err(format!(
            "`{path}` is {} characters; the API needs at least 6, as in `/mnt/data`",
            path.len()
        ));
    }
    if !MOUNT_PATH.is_match(path) {
        return Err(format!(
            "`{path}` does not match `/mnt/[a-zA-Z0-9._-]+/?`: one directory directly under /mnt, such as `/mnt/data`"
        ));
    }
    Ok(())
}

/// The same directory whether or not it has the optional trailing slash.
pub fn normalise_mount_path(path: &str) -> &str {
    path.strip_suffix('/').unwrap_or(path)
}

pub fn runtime_name(name: &str) -> Result<(), String> {
    if RUNTIME_NAME.is_match(name) {
        Ok(())
    } else {
        Err("a letter, then letters, digits or underscores, at most 48 characters (no hyphens)".into())
    }
}

pub fn role_name(name: &str) -> Result<(), String> {
    if ROLE_NAME.is_match(name) {
        Ok(())
    } else {
        Err("1 to 64 characters from letters, digits and `+=,.@_-`".into())
    }
}

pub fn stack_name(name: &str) -> Result<(), String> {
    if STACK_NAME.is_match(name) {
        Ok(())
    } else {
        Err("a letter, then letters, digits or hyphens, at most 32 characters".into())
    }
}

pub fn region(name: &str) -> Result<(), String> {
    if REGION.is_match(name) {
        Ok(())
    } else {
        Err("a region code such as `us-east-1`".into())
    }
}

pub fn security_group_name(name: &str) -> Result<(), String> {
    if name.to_ascii_lowercase().starts_with("sg-") {
        return Err("group names cannot start with `sg-`".into());
    }
    if SG_NAME.is_match(name) {
        Ok(())
    } else {
        Err("1 to 255 characters from letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*".into())
    }
}

pub fn environment_variable_name(name: &str) -> Result<(), String> {
    if ENV_NAME.is_match(name) {
        Ok(())
    } else {
        Err("a letter or `_`, then letters, digits or `_` (at most 100)".into())
    }
}

pub fn octal_mode(mode: &str) -> Result<(), String> {
    if OCTAL_MODE.is_match(mode) {
        Ok(())
    } else {
        Err("an octal mode string of 3 or 4 digits, such as `\"0755\"`".into())
    }
}

/// S3 general purpose bucket naming rules.
pub fn bucket_name(name: &str) -> Result<(), String> {
    let rule = if !(3..=63).contains(&name.len()) {
        Some(format!("3 to 63 characters (this is {})", name.len()))
    } else if !BUCKET.is_match(name) {
        Some("lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit".into())
    } else if name.contains("..") || name.contains(".-") || name.contains("-.") {
        Some("no two adjacent dots, and no dot next to a hyphen".into())
    } else if name.parse::<std::net::Ipv4Addr>().is_ok() {
        Some("not formatted as an IP address".into())
    } else if name.starts_with("xn--") || name.starts_with("sthree-") {
        Some("not starting with `xn--` or `sthree-`".into())
    } else if name.ends_with("-s3alias") || name.ends_with("--ol-s3") {
        Some("not ending with `-s3alias` or `--ol-s3`".into())
    } else {
        None
    };
    match rule {
        Some(rule) => Err(rule),
        None => Ok(()),
    }
}

/// A VPC or subnet CIDR: canonical IPv4 network, prefix /16 to /28.
pub fn vpc_cidr(text: &str) -> Result<Ipv4Net, String> {
    let net: Ipv4Net = text
        .parse()
        .map_err(|_| format!("`{text}` is not an IPv4 CIDR such as `10.20.0.0/16`"))?;
    if !(16..=28).contains(&net.prefix_len()) {
        return Err(format!("prefix /{} is outside /16 to /28", net.prefix_len()));
    }
    if net.trunc() != net {
        return Err(format!("`{text}` has host bits set; the network is `{}`", net.trunc()));
    }
    Ok(net)
}

/// Tag keys every service refuses: `aws:` is reserved by AWS and `agentfs:` by us. Lengths
/// and character sets differ per service; each kind declares its service's (`resources::tags::rules`).
pub fn tag(key: &str, _value: &str) -> Result<(), String> {
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err("tag keys cannot start with `aws:`".into());
    }
    if key.starts_with("agentfs:") {
        return Err("`agentfs:` tag keys are set by agentfs itself".into());
    }
    Ok(())
}

/// AWS allows 50 tags per resource; agentfs adds its own two.
pub const MAX_USER_TAGS: usize = 48;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_paths_follow_the_reference_table() {
        assert!(mount_path("/mnt/data").is_ok());
        assert!(mount_path("/mnt/data/").is_ok());
        assert!(mount_path("/mnt/data/sub").unwrap_err().contains("does not match"));
        assert!(mount_path("/var/data").unwrap_err().contains("/mnt/"));
        assert!(mount_path("/data").unwrap_err().contains("at least 6"));
        assert!(mount_path("/mnt").unwrap_err().contains("at least 6"));
    }

    #[test]
    fn runtime_names() {
        assert!(runtime_name("fsverify_agent").is_ok());
        assert!(runtime_name("a").is_ok());
        assert!(runtime_name("fs-verify").is_err());
        assert!(runtime_name("1agent").is_err());
        assert!(runtime_name(&"a".repeat(48)).is_ok());
        assert!(runtime_name(&"a".repeat(49)).is_err());
    }

    #[test]
    fn bucket_names() {
        assert!(bucket_name("fsverify-123456789012-us-east-1").is_ok());
        assert!(bucket_name("ab").is_err());
        assert!(bucket_name("Upper").is_err());
        assert!(bucket_name("a..b").is_err());
        assert!(bucket_name("192.168.1.1").is_err());
        assert!(bucket_name("xn--abc").is_err());
        assert!(bucket_name("abc-s3alias").is_err());
    }

    #[test]
    fn cidrs() {
        assert_eq!(vpc_cidr("10.20.0.0/16").unwrap().prefix_len(), 16);
        assert!(vpc_cidr("10.20.0.0/8").is_err());
        assert!(vpc_cidr("10.20.0.0/29").is_err());
        assert!(vpc_cidr("10.20.1.5/24").unwrap_err().contains("10.20.1.0/24"));
        assert!(vpc_cidr("nope").is_err());
    }

    #[test]
    fn tags_and_names() {
        assert!(tag("team", "x").is_ok());
        assert!(tag("aws:x", "y").is_err());
        assert!(tag("agentfs:stack", "y").is_err());
        assert!(role_name("fsverify-runtime-role").is_ok());
        assert!(role_name("bad role").is_err());
        assert!(stack_name("fsverify").is_ok());
        assert!(stack_name("fs_verify").is_err());
        assert!(region("us-east-1").is_ok());
        assert!(region("useast1").is_err());
        assert!(octal_mode("0755").is_ok() && octal_mode("755").is_ok());
        assert!(octal_mode("0855").is_err());
        assert!(security_group_name("sg-abc").is_err());
        assert!(environment_variable_name("LOG_LEVEL").is_ok());
        assert!(environment_variable_name("1X").is_err());
    }
}
