//! Data for the 素案 booklet and the priority list PDFs.

use super::{ItemSheet, ListRow};
use crate::config::PlanConfig;
use crate::era::era_date;
use crate::model::Item;
use serde::Serialize;
use std::collections::BTreeMap;

/// What every document's cover and metadata print.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentMeta {
    /// PDF title, e.g. 飯塚市行政経営戦略推進プラン（素案）.
    pub title: String,
    pub plan: String,
    pub stage: String,
    pub city: String,
    pub office: String,
    /// 令和5(2023)年8月.
    pub date: String,
    /// 資料番号 stamp, empty for none.
    pub material_number: String,
    /// Year codes and how the 個票 headers print them (令和6年度).
    pub years: Vec<YearHeading>,
    /// On every page of an office copy that still carries 要確認 marks
    /// (`review_notice`); empty on a document fit to hand out.
    pub review: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct YearHeading {
    pub code: String,
    pub era: String,
    /// 令和6(2024)年度.
    pub label: String,
}

impl DocumentMeta {
    pub fn new(config: &PlanConfig, title: String) -> DocumentMeta {
        let date = era_date(&config.document_date())
            .map(|d| d.month)
            .unwrap_or_else(|| config.document.date_label.clone());
        DocumentMeta {
            title,
            plan: config.plan.name.clone(),
            stage: config.plan.stage.clone(),
            city: config.plan.city.clone(),
            office: config.plan.office.clone(),
            date,
            material_number: config.document.material_number.clone(),
            years: config
                .years
                .iter()
                .map(|y| YearHeading { code: y.code.clone(), era: y.era.clone(), label: config.year_label(&y.code) })
                .collect(),
            review: config.document.review.clone(),
        }
    }

    /// The same, marked as an office copy when some of `items` have errors
    /// (or when the whole copy is one, `[document] review`).
    fn for_items(config: &PlanConfig, title: String, items: &[Item]) -> DocumentMeta {
        let meta = DocumentMeta::new(config, title);
        match review_notice(items) {
            notice if notice.is_empty() => meta,
            notice => DocumentMeta { review: notice, ..meta },
        }
    }
}

/// 確認用 with the number of items marked 要確認, so a copy with marks is
/// never mistaken for the handout (`build --final` refuses to make one).
pub fn review_notice(items: &[Item]) -> String {
    match items.iter().filter(|i| i.has_errors).count() {
        0 => String::new(),
        n => format!("確認用：修正待ちの項目 {n} 件（配布前に修正）"),
    }
}

/// 組織一覧及び提案状況: every 部 and 課 of the organisation master with the
/// number of items proposed, zeros included.
#[derive(Debug, Clone, Serialize)]
pub struct Organisation {
    pub departments: Vec<OrganisationDepartment>,
    pub total: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrganisationDepartment {
    pub name: String,
    pub sections: Vec<SectionCount>,
    pub total: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct SectionCount {
    pub name: String,
    pub count: u32,
}

impl Organisation {
    pub fn new(items: &[Item], config: &PlanConfig) -> Organisation {
        let mut counts: BTreeMap<(&str, &str), u32> = BTreeMap::new();
        for item in items {
            if let Some(s) = &item.proposing_section {
                *counts.entry((s.department.as_str(), s.section.as_str())).or_default() += 1;
            }
        }
        let departments: Vec<OrganisationDepartment> = config
            .departments
            .iter()
            .map(|d| {
                let sections: Vec<SectionCount> = d
                    .sections
                    .iter()
                    .map(|s| SectionCount {
                        name: s.name.clone(),
                        count: counts.get(&(d.name.as_str(), s.name.as_str())).copied().unwrap_or(0),
                    })
                    .collect();
                let total = sections.iter().map(|s| s.count).sum();
                OrganisationDepartment { name: d.name.clone(), sections, total }
            })
            .collect();
        let total = departments.iter().map(|d| d.total).sum();
        Organisation { departments, total }
    }
}

/// A department's run of sheets, for the 目次 and the bookmarks.
#[derive(Debug, Clone, Serialize)]
pub struct DepartmentRange {
    /// 01総務部.
    pub label: String,
    pub first: u32,
    pub last: u32,
    /// The volume (分冊) its first sheet is in; 1 for a booklet in one file.
    pub volume: usize,
}

/// One volume (分冊) of a booklet with too many items for one file: the
/// first holds the front matter, each its share of the 個票.
#[derive(Debug, Clone, Serialize)]
pub struct Volume {
    pub number: usize,
    pub count: usize,
    /// 項目番号 of its first and last sheet.
    pub first: u32,
    pub last: u32,
}

/// Everything the booklet template prints.
#[derive(Debug, Clone, Serialize)]
pub struct BookletData {
    pub meta: DocumentMeta,
    pub organisation: Organisation,
    pub list: Vec<ListRow>,
    pub departments: Vec<DepartmentRange>,
    pub items: Vec<ItemSheet>,
    /// The cover, 目次, 組織一覧 and 優先順位一覧 come first (the booklet's
    /// first or only volume).
    pub front: bool,
    /// Which volume this is, when the booklet comes in several.
    pub volume: Option<Volume>,
    /// The cover page comes first (every volume; not the parts after it).
    pub cover: bool,
    /// The 目次 and the list link to 個票 laid out in other parts, through
    /// placeholders the join resolves (see typeset::merge).
    pub link_items: bool,
    /// The first 個票 carries the bookmark 取組項目個票 that the
    /// departments' bookmarks hang under.
    pub sheets_heading: bool,
}

/// At most about this many parts of 個票 in a booklet volume: one per
/// department where departments are many items each, small departments
/// grouped where they are not (a prefecture's thousand municipalities of a
/// few items each would otherwise be a thousand font subsets to embed).
pub const MAX_SHEET_PARTS: usize = 12;

/// A part of a booklet volume, laid out on its own and joined to the others
/// after export (see typeset::merge).
pub struct BookletPart {
    pub data: BookletData,
    /// The first department whose 個票 it holds (None: the cover and front
    /// matter).
    pub department: Option<String>,
    /// Its bookmarks go under 取組項目個票, which an earlier part holds.
    pub nested: bool,
}

/// Volumes a booklet of `items` comes in: one file when they fit in
/// `per_volume` 個票, else the front matter on its own and then volumes of
/// at most `per_volume` 個票 each.
pub fn volume_count(items: usize, per_volume: usize) -> usize {
    match items.div_ceil(per_volume.max(1)) {
        0 | 1 => 1,
        sheets => sheets + 1,
    }
}

/// Everything the standalone priority list prints.
#[derive(Debug, Clone, Serialize)]
pub struct PriorityListData {
    pub meta: DocumentMeta,
    pub list: Vec<ListRow>,
}

/// The booklet's title: plan name and stage, 飯塚市行政経営戦略推進プラン（素案）.
pub fn booklet_title(config: &PlanConfig) -> String {
    if config.plan.stage.is_empty() {
        config.plan.name.clone()
    } else {
        format!("{}（{}）", config.plan.name, config.plan.stage)
    }
}

impl BookletData {
    /// The whole booklet as one file; `items` in 項目番号 order (as the
    /// pipeline returns them).
    pub fn new(items: &[Item], config: &PlanConfig) -> BookletData {
        BookletData::volume(items, config, items.len().max(1), 1)
    }

    /// Volume `number` (from 1) of the booklet in volumes of at most
    /// `per_volume` 個票 (see `volume_count`). A volume is laid out on its
    /// own, so memory holds one volume's layout, whatever the number of
    /// items; the first, the front matter, covers every item.
    pub fn volume(items: &[Item], config: &PlanConfig, per_volume: usize, number: usize) -> BookletData {
        let per_volume = per_volume.max(1);
        let count = volume_count(items.len(), per_volume);
        let mut departments: Vec<DepartmentRange> = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let label = super::department_label(item);
            match departments.last_mut() {
                Some(last) if last.label == label => last.last = item.number,
                _ => departments.push(DepartmentRange { label, first: item.number, last: item.number, volume: index / per_volume + 2 }),
            }
        }
        let front = number == 1;
        let mine = match (count, number) {
            (1, _) => items,
            (_, 1) => &items[..0],
            _ => {
                let start = ((number - 2) * per_volume).min(items.len());
                &items[start..(start + per_volume).min(items.len())]
            }
        };
        let volume = (count > 1).then(|| Volume {
            number,
            count,
            first: mine.first().map_or(0, |i| i.number),
            last: mine.last().map_or(0, |i| i.number),
        });
        BookletData {
            meta: DocumentMeta::for_items(config, booklet_title(config), items),
            organisation: if front { Organisation::new(items, config) } else { Organisation { departments: Vec::new(), total: 0 } },
            list: if front { items.iter().map(ListRow::new).collect() } else { Vec::new() },
            departments,
            // The 素案 is the plan: its 実績 and 評価 rows stay empty, ready
            // for the progress year, whatever rounds have been read.
            items: mine
                .iter()
                .map(|item| {
                    let mut plan = item.clone();
                    plan.results.clear();
                    ItemSheet::new(&plan, config)
                })
                .collect(),
            front,
            volume,
            cover: true,
            link_items: false,
            sheets_heading: true,
        }
    }

    /// The parts this volume is joined from: the cover (with the front
    /// matter in the first or only volume), then the 個票 of whole
    /// departments, consecutive ones together until a part holds at least
    /// its share of `MAX_SHEET_PARTS`. One department resending its 素案
    /// changes the front matter and its own part; the others' PDFs can be
    /// kept.
    pub fn parts(&self) -> Vec<BookletPart> {
        let mut front = self.clone();
        front.items.clear();
        // Links to 個票 only where they are in the same file.
        front.link_items = self.volume.is_none() && !self.items.is_empty();
        let mut parts = vec![BookletPart { data: front, department: None, nested: false }];
        let share = self.items.len().div_ceil(MAX_SHEET_PARTS).max(1);
        let mut group: Vec<(DepartmentRange, Vec<ItemSheet>)> = Vec::new();
        let mut departments = self.departments.iter().peekable();
        while let Some(department) = departments.next() {
            let items: Vec<ItemSheet> = self.items.iter().filter(|i| i.number >= department.first && i.number <= department.last).cloned().collect();
            if !items.is_empty() {
                group.push((department.clone(), items));
            }
            let held: usize = group.iter().map(|(_, items)| items.len()).sum();
            if held == 0 || (held < share && departments.peek().is_some()) {
                continue;
            }
            let first = parts.len() == 1;
            let label = group[0].0.label.clone();
            let (ranges, items): (Vec<DepartmentRange>, Vec<Vec<ItemSheet>>) = std::mem::take(&mut group).into_iter().unzip();
            let data = BookletData {
                meta: self.meta.clone(),
                organisation: Organisation { departments: Vec::new(), total: 0 },
                list: Vec::new(),
                departments: ranges,
                items: items.concat(),
                front: false,
                volume: self.volume.clone(),
                cover: false,
                link_items: false,
                sheets_heading: first,
            };
            parts.push(BookletPart { data, department: Some(label), nested: !first });
        }
        parts
    }
}

impl PriorityListData {
    pub fn new(items: &[Item], config: &PlanConfig) -> PriorityListData {
        let title = format!("取組項目及び優先順位一覧（{}）", booklet_title(config));
        PriorityListData { meta: DocumentMeta::for_items(config, title, items), list: items.iter().map(ListRow::new).collect() }
    }
}

/// Everything the per-item 進捗管理表 template prints. Many items are laid
/// out as one document and split into one PDF per item (`build`), so what
/// a PDF says of its own item alone (its title, the 確認用 notice, the
/// サンプル mark) is carried per item.
#[derive(Debug, Clone, Serialize)]
pub struct ItemSheetsData {
    pub meta: DocumentMeta,
    pub items: Vec<ItemSheetPage>,
}

/// One item's 進捗管理表 as its own PDF prints it.
#[derive(Debug, Clone, Serialize)]
pub struct ItemSheetPage {
    #[serde(flatten)]
    pub sheet: ItemSheet,
    /// The PDF's title: 項目6 入札参加資格申請のオンライン化（取組項目個票・進捗管理表）.
    pub pdf_title: String,
    /// 確認用 when this item has errors (see `review_notice`).
    pub review: String,
    /// Some results printed were read from forms marked as examples
    /// (記入例（サンプル）): its pages say so.
    pub sample: bool,
}

impl ItemSheetsData {
    /// For one item, the title names it: 項目6 入札参加資格申請のオンライン化（進捗管理表）.
    pub fn new(items: &[Item], config: &PlanConfig) -> ItemSheetsData {
        let title = match items {
            [item] => item_pdf_title(item),
            _ => format!("取組項目個票（兼進捗管理表）（{}）", config.plan.name),
        };
        let pages = items
            .iter()
            .map(|item| ItemSheetPage {
                sheet: unreported_marked(ItemSheet::new(item, config), item, config),
                pdf_title: item_pdf_title(item),
                review: review_notice(std::slice::from_ref(item)),
                sample: !item.sample_results.is_empty(),
            })
            .collect();
        ItemSheetsData { meta: DocumentMeta::for_items(config, title, items), items: pages }
    }
}

/// 未提出 in the 年度目標実績値 and 評価 cells of each year whose round was
/// held and gave no result for the item, so a blank is never taken for a
/// round not yet held.
fn unreported_marked(mut sheet: ItemSheet, item: &Item, config: &PlanConfig) -> ItemSheet {
    for (k, year) in config.year_codes().iter().enumerate() {
        if item.unreported.contains(year) && item.result(year).is_none() {
            for row in [sheet.results.first_mut(), sheet.evaluation.first_mut()].into_iter().flatten() {
                if let Some(cell) = row.cells.get_mut(k) {
                    *cell = crate::progress::history::MISSING.to_string();
                }
            }
        }
    }
    sheet
}

fn item_pdf_title(item: &Item) -> String {
    format!("項目{} {}（取組項目個票・進捗管理表）", item.number, item.title)
}
