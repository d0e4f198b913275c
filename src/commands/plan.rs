//! `agentfs plan`: what apply would do, per resource and attribute.

use std::process::ExitCode;

use super::destroy::destroy_text;
use crate::cli::PlanArgs;
use crate::cost;
use crate::pipeline::{
    CliError, compile, load_state, open_store, plan_state, print_json, print_live_lints, require_image_tool, runtime,
};
use crate::plan::destroy_plan;
use crate::plan::{self, Plan};
use crate::state::{Owner, State};

pub fn run(args: PlanArgs) -> Result<ExitCode, CliError> {
    let compiled = compile(&args.spec.spec, args.spec.json, &args.spec.vars)?;
    if args.destroy {
        return plan_destroy(&compiled.spec, &args);
    }
    require_image_tool(&compiled)?;
    let selection = plan::targeting::Selection::parse(&args.target.target, &args.target.exclude, &args.replace)?;
    let (state, mut context) = runtime()?.block_on(plan_state(
        &compiled.spec,
        &args.spec.spec,
        args.backend.as_deref(),
        !args.no_refresh,
    ))?;
    context.selection = selection;
    let mut plan = plan::compute(&compiled.spec, &compiled.graph, state.as_ref(), &context)?;
    if args.out.is_some() {
        plan.spec_source = Some(plan::SpecSource {
            path: compiled.source.name.clone(),
            text: compiled.source.text.to_string(),
        });
    }
    super::check::print_to_stderr(&super::check::located(&compiled));
    print_live_lints(&compiled, &context);
    let cost = PlanCost::new(&compiled.spec, state.as_ref())?;
    emit_plan(&plan, &args, &cost)?;
    let changes = plan.summary.has_changes();
    Ok(if args.detailed_exitcode && changes {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// `plan --destroy`: what `agentfs destroy` would delete, from the recorded state alone.
fn plan_destroy(spec: &crate::spec::Spec, args: &PlanArgs) -> Result<ExitCode, CliError> {
    let recorded = runtime()?.block_on(async {
        let store = open_store(args.backend.as_deref(), spec, &args.spec.spec).await?;
        load_state(&store, &Owner::new(&spec.stack.name, &spec.stack.region)).await
    })?;
    let selection = plan::targeting::Selection::parse(&args.target.target, &args.target.exclude, &[])?;
    let plan = match &recorded {
        Some(state) => destroy_plan(state, &selection)?,
        None => Plan {
            prior_state: None,
            ..destroy_plan(&State::new(&spec.stack.name, &spec.stack.region), &selection)?
        },
    };
    if args.spec.json {
        print_json(&serde_json::to_value(&plan).unwrap_or_default())?;
    } else {
        crate::out!("{}", destroy_text(&plan));
    }
    Ok(if args.detailed_exitcode && plan.summary.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// The idle cost after the plan and before it (what the state records).
struct PlanCost {
    region: String,
    prices: Option<cost::Prices>,
    after: cost::Idle,
    before: cost::Idle,
}

impl PlanCost {
    fn new(spec: &crate::spec::Spec, state: Option<&State>) -> Result<PlanCost, CliError> {
        let region = spec.stack.region.clone();
        let prices = cost::Prices::for_region(&region).map_err(|e| CliError::Other(e.to_string()))?;
        let (after, before) = match &prices {
            Some(p) => (
                cost::idle_of_spec(p, spec),
                state.map(|s| cost::idle_of_state(p, s)).unwrap_or_default(),
            ),
            None => Default::default(),
        };
        Ok(PlanCost {
            region,
            prices,
            after,
            before,
        })
    }
}

fn emit_plan(plan: &Plan, args: &PlanArgs, cost: &PlanCost) -> Result<(), CliError> {
    if let Some(path) = &args.out {
        let bytes = serde_json::to_vec_pretty(plan).map_err(|e| CliError::Other(e.to_string()))?;
        // A saved plan embeds the spec, sensitive values included: readable by its owner only.
        let write = crate::state::local::create_private(path, false)
            .and_then(|mut file| std::io::Write::write_all(&mut file, &bytes));
        write.map_err(|source| CliError::Write {
            path: path.clone(),
            source,
        })?;
    }
    if args.spec.json {
        let mut value = serde_json::to_value(plan).unwrap_or_default();
        if let Some(object) = value.as_object_mut() {
            let figures = cost::render::plan_json(cost.prices.as_ref(), &cost.region, &cost.after, &cost.before);
            object.insert("cost".into(), figures);
        }
        print_json(&value)?;
    } else {
        crate::out!("{}", plan::render::text(plan, args.verbose));
        crate::out!(
            "{}",
            cost::render::plan_text(cost.prices.as_ref(), &cost.region, &cost.after, &cost.before)
        );
        if let Some(path) = &args.out {
            crate::outln!(
                "Saved the plan to {}; apply exactly it with `agentfs apply {}`.",
                path.display(),
                path.display()
            );
        }
    }
    Ok(())
}
