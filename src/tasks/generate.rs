//! The deterministic task-set generator behind `seed-tasks --regen`: it spreads a requested
//! count over every family (easy families weigh more, no family above 10% of the set), picks
//! variants in a fixed shuffled order per family, and renders them.

use std::collections::HashSet;

use super::families::{self, Family, Rng};
use super::render::render;
use super::{Difficulty, Task};

/// The smallest set the generator will write (the original's minimum).
pub const MIN_COUNT: usize = 120;

/// Why a task set could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("--count {requested} is below the minimum of {MIN_COUNT}")]
    TooFew { requested: usize },
    #[error(
        "--count {requested} is more than the families can produce with no family above 10% of the set; the maximum is {max}"
    )]
    TooMany { requested: usize, max: usize },
}

fn weight(difficulty: Difficulty) -> usize {
    match difficulty {
        Difficulty::Easy => 3,
        Difficulty::Medium => 2,
        Difficulty::Hard => 2,
    }
}

/// The most tasks any one family may contribute to a set of `count` tasks.
fn family_cap(count: usize) -> usize {
    (count / 10).max(1)
}

/// The largest count the generator can produce.
pub fn max_count() -> usize {
    let caps: Vec<usize> = families::all().iter().map(|f| f.variants()).collect();
    let total: usize = caps.iter().sum();
    // Feasibility is monotone in the count only piecewise, so scan down from the total.
    (MIN_COUNT..=total)
        .rev()
        .find(|&n| caps.iter().map(|&c| c.min(family_cap(n))).sum::<usize>() >= n)
        .unwrap_or(0)
}

/// How many tasks each family contributes: proportional to its weight, water-filled under caps.
fn quotas(families: &[&dyn Family], count: usize) -> Vec<usize> {
    let caps: Vec<usize> = families
        .iter()
        .map(|f| f.variants().min(family_cap(count)))
        .collect();
    let weights: Vec<usize> = families
        .iter()
        .map(|f| weight(f.build(0).difficulty))
        .collect();
    let mut quota = vec![0usize; families.len()];
    let mut remaining = count;
    while remaining > 0 {
        let open: Vec<usize> = (0..families.len())
            .filter(|&i| quota[i] < caps[i])
            .collect();
        let open_weight: usize = open.iter().map(|&i| weights[i]).sum();
        if open.is_empty() {
            break;
        }
        let mut given = 0;
        for &i in &open {
            let share = (remaining * weights[i] / open_weight).min(caps[i] - quota[i]);
            quota[i] += share;
            given += share;
        }
        if given == 0 {
            // Hand out the last few one by one, in family order, so the split stays deterministic.
            for &i in &open {
                if remaining == given {
                    break;
                }
                quota[i] += 1;
                given += 1;
            }
        }
        remaining -= given;
    }
    quota
}

/// Generates `count` distinct tasks, deterministically.
pub fn generate(count: usize) -> Result<Vec<Task>, GenerateError> {
    if count < MIN_COUNT {
        return Err(GenerateError::TooFew { requested: count });
    }
    let max = max_count();
    if count > max {
        return Err(GenerateError::TooMany {
            requested: count,
            max,
        });
    }
    let families = families::all();
    let quota = quotas(&families, count);
    let mut per_family: Vec<Vec<Task>> = Vec::with_capacity(families.len());
    for (family, &n) in families.iter().zip(&quota) {
        let mut order: Vec<usize> = (0..family.variants()).collect();
        Rng::for_variant(family.name(), usize::MAX).shuffle(&mut order);
        per_family.push(
            order
                .into_iter()
                .take(n)
                .map(|i| render(&family.build(i), family.name()))
                .collect(),
        );
    }
    // Interleave families so any prefix of the file is a balanced mix.
    let mut tasks = Vec::with_capacity(count);
    let longest = per_family.iter().map(Vec::len).max().unwrap_or(0);
    for round in 0..longest {
        for list in &per_family {
            if let Some(task) = list.get(round) {
                tasks.push(task.clone());
            }
        }
    }
    let mut ids = HashSet::new();
    let mut prompts = HashSet::new();
    for task in &tasks {
        assert!(
            ids.insert(task.task_id.clone()),
            "family bug: duplicate task_id {}",
            task.task_id
        );
        assert!(
            prompts.insert(task.prompt.clone()),
            "family bug: duplicate prompt in {}",
            task.task_id
        );
    }
    Ok(tasks)
}
