//! The spec's blocks about state rather than resources: `[[moved]]` (a rename kept without a
//! replacement) and `[[removed]]` (a resource forgotten, not deleted). Checked here offline;
//! what they do to a recorded state is the plan's (`plan::moves`).

use std::collections::HashSet;

use super::addr::Addr;
use super::diag::Diagnostic;
use super::parse::ParsedSpec;

/// A checked `[[moved]]` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub from: Addr,
    pub to: Addr,
    /// `moved[i]`, for messages.
    pub field: String,
}

/// A checked `[[import]]` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub to: Addr,
    pub id: String,
    pub field: String,
}

/// A checked `[[removed]]` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub from: Addr,
    pub field: String,
}

/// The blocks of `spec` that passed every check, and a diagnostic for each that did not.
pub fn check(spec: &ParsedSpec) -> (Vec<Moved>, Vec<Removed>, Vec<Import>, Vec<Diagnostic>) {
    let declared: HashSet<&Addr> = spec.resources.iter().map(|r| &r.addr).collect();
    let mut diagnostics = Vec::new();
    let error = |field: String, message: String, help: &str| {
        Diagnostic::error("agentfs::state_block", message)
            .help(help)
            .span(spec.spans.value(&field))
            .field(field)
    };
    let address = |field: String, text: &str, diagnostics: &mut Vec<Diagnostic>| match text.parse::<Addr>() {
        Ok(addr) => Some(addr),
        Err(e) => {
            diagnostics.push(error(
                field,
                format!("`{text}` is not an address: {e}"),
                "write `kind.name`, such as `subnet.primary`",
            ));
            None
        }
    };
    let mut moved = Vec::new();
    let mut sources = HashSet::new();
    for (i, block) in spec.moved.iter().enumerate() {
        let field = format!("moved[{i}]");
        let from = address(format!("{field}.from"), &block.from, &mut diagnostics);
        let to = address(format!("{field}.to"), &block.to, &mut diagnostics);
        let (Some(from), Some(to)) = (from, to) else {
            continue;
        };
        let problem = if from.kind != to.kind {
            Some((
                format!("{field}.to"),
                format!(
                    "`{from}` is a {} and `{to}` a {}: a move keeps the kind",
                    from.kind.key(),
                    to.kind.key()
                ),
                "a resource cannot become another kind; remove the block and let the plan replace it",
            ))
        } else if from == to {
            Some((
                format!("{field}.to"),
                format!("`{from}` is moved to itself"),
                "remove the block",
            ))
        } else if declared.contains(&from) {
            Some((
                format!("{field}.from"),
                format!("`{from}` is still declared in the spec"),
                "a move renames: remove the old table (or this block)",
            ))
        } else if !declared.contains(&to) {
            Some((
                format!("{field}.to"),
                format!("`{to}` is not declared in the spec"),
                "declare the resource under its new name, or fix the name",
            ))
        } else if !sources.insert(from.clone()) {
            Some((
                format!("{field}.from"),
                format!("`{from}` is moved twice"),
                "keep one block per old address",
            ))
        } else {
            None
        };
        match problem {
            Some((at, message, help)) => diagnostics.push(error(at, message, help)),
            None => moved.push(Moved { from, to, field }),
        }
    }
    let mut removed = Vec::new();
    for (i, block) in spec.removed.iter().enumerate() {
        let field = format!("removed[{i}]");
        let Some(from) = address(format!("{field}.from"), &block.from, &mut diagnostics) else {
            continue;
        };
        if declared.contains(&from) {
            diagnostics.push(error(
                format!("{field}.from"),
                format!("`{from}` is still declared in the spec"),
                "`[[removed]]` forgets a resource whose table is gone: remove its table, or this block to keep managing it",
            ));
            continue;
        }
        if moved.iter().any(|m| m.from == from) {
            diagnostics.push(error(
                format!("{field}.from"),
                format!("`{from}` is both moved and removed"),
                "keep one of the two blocks",
            ));
            continue;
        }
        removed.push(Removed { from, field });
    }
    let mut imports: Vec<Import> = Vec::new();
    for (i, block) in spec.imports.iter().enumerate() {
        let field = format!("import[{i}]");
        let Some(to) = address(format!("{field}.to"), &block.to, &mut diagnostics) else {
            continue;
        };
        let problem = if !declared.contains(&to) {
            Some((
                format!("{field}.to"),
                format!("`{to}` is not declared in the spec"),
                "declare the resource the import adopts, with the fields it should have",
            ))
        } else if block.id.trim().is_empty() {
            Some((
                format!("{field}.id"),
                "the id is empty".to_string(),
                "give the resource's AWS id",
            ))
        } else if imports.iter().any(|other| other.to == to) {
            Some((
                format!("{field}.to"),
                format!("`{to}` is imported twice"),
                "keep one block per address",
            ))
        } else {
            None
        };
        match problem {
            Some((at, message, help)) => diagnostics.push(error(at, message, help)),
            None => imports.push(Import {
                to,
                id: block.id.clone(),
                field,
            }),
        }
    }
    (moved, removed, imports, diagnostics)
}

#[cfg(test)]
mod tests {
    use crate::spec::load;

    const BASE: &str = "[stack]\nname = \"s\"\nregion = \"us-east-1\"\n[vpc.main]\ncidr_block = \"10.0.0.0/16\"\n[subnet.primary]\nvpc = \"main\"\ncidr_block = \"10.0.1.0/24\"\naz_index = 0\n";

    fn errors(extra: &str) -> Vec<String> {
        load(&format!("{BASE}{extra}"))
            .diagnostics
            .into_iter()
            .filter(|d| d.is_error())
            .map(|d| format!("{} {}", d.field.unwrap_or_default(), d.message))
            .collect()
    }

    #[test]
    fn a_valid_move_and_removal_load() {
        let loaded = load(&format!(
            "{BASE}[[moved]]\nfrom = \"subnet.first\"\nto = \"subnet.primary\"\n[[removed]]\nfrom = \"s3_bucket.logs\"\n"
        ));
        let spec = loaded.spec.expect("loads");
        assert_eq!(spec.moved[0].from.to_string(), "subnet.first");
        assert_eq!(spec.moved[0].to.to_string(), "subnet.primary");
        assert_eq!(spec.removed[0].from.to_string(), "s3_bucket.logs");
    }

    #[test]
    fn bad_blocks_are_errors_naming_their_field() {
        let kind = errors("[[moved]]\nfrom = \"vpc.first\"\nto = \"subnet.primary\"\n");
        assert!(
            kind[0].starts_with("moved[0].to ") && kind[0].contains("keeps the kind"),
            "{kind:?}"
        );
        let missing = errors("[[moved]]\nfrom = \"subnet.first\"\nto = \"subnet.nope\"\n");
        assert!(missing[0].contains("not declared"), "{missing:?}");
        let declared = errors("[[moved]]\nfrom = \"vpc.main\"\nto = \"vpc.main\"\n");
        assert!(declared[0].contains("itself"), "{declared:?}");
        let still = errors("[[removed]]\nfrom = \"subnet.primary\"\n");
        assert!(
            still[0].starts_with("removed[0].from ") && still[0].contains("still declared"),
            "{still:?}"
        );
        let import = errors("[[import]]\nto = \"subnet.nope\"\nid = \"subnet-0abc\"\n");
        assert!(
            import[0].starts_with("import[0].to ") && import[0].contains("not declared"),
            "{import:?}"
        );
        let shape = errors("[[removed]]\nfrom = \"nothing\"\n");
        assert!(shape[0].contains("not an address"), "{shape:?}");
    }
}
