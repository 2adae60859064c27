//! Where `gyokaku build` spends its time, stage by stage, on the sample
//! inputs (or the folder given as the first argument, e.g. a `--scale 10`
//! set from examples/make_sample_inputs.rs). Run: `cargo bench --bench build`.
//! Whole-command wall time and peak memory: scripts/bench.sh.

use gyokaku::engine::typeset_booklet;
use gyokaku::config::PlanConfig;
use gyokaku::documents::booklet::{ItemSheetsData, PriorityListData};
use gyokaku::documents::progress_report::ProgressReportData;
use gyokaku::documents::summary::SummaryData;
use gyokaku::documents::{ListRow, items_xlsx, priority_xlsx, progress_report_xlsx};
use gyokaku::progress::forms::{department_forms, example_forms};
use gyokaku::model::YearResult;
use gyokaku::pipeline;
use gyokaku::typeset::{Typesetter, split_at};
use gyokaku::typeset::fonts::FontSet;
use gyokaku::typeset::templates::Templates;
use std::path::PathBuf;
use std::time::Instant;

fn median<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        last = Some(f());
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (times[runs / 2], last.unwrap())
}

fn main() {
    let input = std::env::args().skip(1).find(|a| !a.starts_with('-')).map(PathBuf::from).unwrap_or_else(|| PathBuf::from("inputs"));
    let config = PlanConfig::load(&input.join("plan.toml")).expect("plan.toml");
    let runs = 5;
    let (t, fonts) = median(runs, || FontSet::load(&[]).unwrap());
    println!("load fonts            {:>8.3} s", t);
    let typesetter = Typesetter::new(fonts, Templates::load(None).unwrap(), &config.document_date()).unwrap();
    let (t, run) = median(runs, || pipeline::run(&input, &config).unwrap());
    println!("read + validate       {:>8.3} s  ({} items)", t, run.items.len());
    let (t, booklet) = median(runs, || {
        comemo::evict(0);
        typeset_booklet(&typesetter, &run.items, &config).unwrap()
    });
    println!("booklet layout        {:>8.3} s  ({} pages)", t, booklet.document.pages().len());
    let (t, pdf) = median(runs, || typesetter.pdf(&booklet.document, "booklet").unwrap());
    println!("booklet PDF export    {:>8.3} s  ({:.1} MB)", t, pdf.len() as f64 / 1e6);
    // As build makes it: in parts, laid out side by side, each exported, joined.
    let data = gyokaku::documents::booklet::BookletData::new(&run.items, &config);
    let (t, (joined, ..)) = median(runs, || {
        comemo::evict(0);
        gyokaku::engine::typeset_booklet_pdf(&typesetter, &data, "booklet").unwrap()
    });
    println!("booklet in {} parts    {:>8.3} s  (laid out, exported, joined: {:.1} MB)", data.parts().len(), t, joined.len() as f64 / 1e6);
    let data = PriorityListData::new(&run.items, &config);
    let (t, list) = median(runs, || {
        comemo::evict(0);
        typesetter.compile("priority_list.typ", &data).unwrap()
    });
    let (t2, list_pdf) = median(runs, || typesetter.pdf(&list.document, "priority_list").unwrap());
    println!("priority list PDF     {:>8.3} s  ({} pages, {:.2} MB)", t + t2, list.document.pages().len(), list_pdf.len() as f64 / 1e6);
    // As build makes them: laid out 100 at a time, split into one PDF each.
    let (t, parts) = median(3, || {
        comemo::evict(0);
        run.items
            .chunks(100)
            .flat_map(|batch| {
                let compiled = typesetter.compile("item_sheets.typ", &ItemSheetsData::new(batch, &config)).unwrap();
                split_at(&compiled.document, "item-start").into_iter().map(|(_, d)| d).collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    });
    let (t2, sizes) = median(3, || parts.iter().enumerate().map(|(i, d)| typesetter.pdf(d, &format!("item-{i}")).unwrap().len()).sum::<usize>());
    println!(
        "per-item sheets       {:>8.3} s layout + {:.3} s PDF, one core ({} PDFs, {:.1} MB, {:.1} ms per item)",
        t,
        t2,
        parts.len(),
        sizes as f64 / 1e6,
        (t + t2) * 1000.0 / parts.len() as f64
    );
    let rows: Vec<ListRow> = run.items.iter().map(ListRow::new).collect();
    let (t, _) = median(runs, || priority_xlsx::render(&rows, &config, "一覧").unwrap());
    println!("priority list xlsx    {:>8.3} s", t);
    let (t, book) = median(runs, || items_xlsx::render(&run.items, &config, "集約").unwrap());
    println!("consolidated xlsx     {:>8.3} s  ({:.2} MB)", t, book.len() as f64 / 1e6);

    // The 概要版, and the 新旧対照表 against inputs/revisions when it exists.
    let (t, summary) = median(runs, || {
        comemo::evict(0);
        let c = typesetter.compile("summary.typ", &SummaryData::new(&run.items, &config)).unwrap();
        typesetter.pdf(&c.document, "summary").unwrap()
    });
    println!("概要版 PDF             {:>8.3} s  ({:.2} MB)", t, summary.len() as f64 / 1e6);
    let revisions = input.join("revisions");
    if revisions.join("plan.toml").exists() {
        let out = tempfile::tempdir().unwrap();
        let (t, outcome) = median(runs, || gyokaku::commands::diff::run(&input, &revisions, out.path(), None, &[]).unwrap());
        println!("diff (新旧対照表)        {:>8.3} s  ({} changed items, PDF + xlsx)", t, outcome.comparison.changed().count());
    }

    // The progress year: forms out, a filled round read back, the report.
    let year = config.years[0].code.clone();
    let (t, forms) = median(runs, || department_forms(&run.items, &config, &year).unwrap());
    println!("forms {year}              {:>8.3} s  ({} workbooks, {:.2} MB)", t, forms.len(), forms.iter().map(|f| f.bytes.len()).sum::<usize>() as f64 / 1e6);
    let round = tempfile::tempdir().unwrap();
    std::fs::copy(input.join("plan.toml"), round.path().join("plan.toml")).unwrap();
    std::os::unix::fs::symlink(std::fs::canonicalize(input.join("submissions")).unwrap(), round.path().join("submissions")).unwrap();
    let mut filled = run.items.clone();
    for item in &mut filled {
        let mut result = YearResult { evaluation: "B".into(), issues: "課題".into(), ..Default::default() };
        result.workload_result = item.workload_target.get(&year).cloned().unwrap_or_default();
        item.results.insert(year.clone(), result);
    }
    let dir = round.path().join("progress").join(&year);
    std::fs::create_dir_all(&dir).unwrap();
    for form in example_forms(&filled, &config, &year).unwrap() {
        std::fs::write(dir.join(&form.file_name), &form.bytes).unwrap();
    }
    let (t_with, with_round) = median(runs, || pipeline::run(round.path(), &config).unwrap());
    println!("read + round {year}       {:>8.3} s  ({} items reported; compare read + validate above)", t_with, with_round.rounds[0].matched.len());
    let data = ProgressReportData::new(&with_round.items, &config, &year, true);
    let (t, report) = median(runs, || {
        comemo::evict(0);
        typesetter.compile("progress_report.typ", &data).unwrap()
    });
    let (t2, pdf) = median(runs, || typesetter.pdf(&report.document, "report").unwrap());
    println!("progress report PDF   {:>8.3} s  ({} pages, {:.2} MB)", t + t2, report.document.pages().len(), pdf.len() as f64 / 1e6);
    let (t, xlsx) = median(runs, || progress_report_xlsx::render(&data, &config).unwrap());
    println!("progress report xlsx  {:>8.3} s  ({:.2} MB)", t, xlsx.len() as f64 / 1e6);
    // The 最終評価 laid out on the same results (one round stands for three).
    let data = gyokaku::documents::final_evaluation::FinalEvaluationData::new(&with_round.items, &config, true);
    let (t, evaluation) = median(runs, || {
        comemo::evict(0);
        typesetter.compile("final_evaluation.typ", &data).unwrap()
    });
    let (t2, pdf) = median(runs, || typesetter.pdf(&evaluation.document, "final").unwrap());
    println!("final evaluation PDF  {:>8.3} s  ({} pages, {:.2} MB)", t + t2, evaluation.document.pages().len(), pdf.len() as f64 / 1e6);
}
