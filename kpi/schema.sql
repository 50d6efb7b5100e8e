-- Database contract (DESIGN 5). Analysts query these tables directly: names and meanings are stable.
-- Idempotent: run on every start. Views and macros are replaced so that fixes reach old files.
-- No foreign keys: a plan is replaced as a whole inside one transaction, and the ETL validates references.

CREATE TABLE IF NOT EXISTS plans (
    plan_id      VARCHAR PRIMARY KEY,
    name         VARCHAR NOT NULL,
    organization VARCHAR NOT NULL,
    start_fy     INTEGER NOT NULL,
    end_fy       INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS policies (
    plan_id   VARCHAR NOT NULL,
    policy_no INTEGER NOT NULL,
    name      VARCHAR NOT NULL,
    PRIMARY KEY (plan_id, policy_no)
);

CREATE TABLE IF NOT EXISTS measures (
    plan_id    VARCHAR NOT NULL,
    measure_id VARCHAR NOT NULL,  -- '1-2' = policy 1, measure ＜2＞
    policy_no  INTEGER NOT NULL,
    name       VARCHAR NOT NULL,
    seq        INTEGER NOT NULL,  -- printed order
    PRIMARY KEY (plan_id, measure_id)
);

CREATE TABLE IF NOT EXISTS projects (
    plan_id       VARCHAR NOT NULL,
    project_id    VARCHAR NOT NULL,  -- '1-2-4' for １－２－（４）
    measure_id    VARCHAR NOT NULL,
    name          VARCHAR NOT NULL,
    overview      VARCHAR,
    aims          VARCHAR,
    relisted_from VARCHAR,           -- NULL unless 再掲
    seq           INTEGER NOT NULL,
    PRIMARY KEY (plan_id, project_id)
);

CREATE TABLE IF NOT EXISTS project_departments (
    plan_id    VARCHAR NOT NULL,
    project_id VARCHAR NOT NULL,
    department VARCHAR NOT NULL,
    role       VARCHAR NOT NULL CHECK (role IN ('lead', 'related')),
    seq        INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS activities (
    plan_id     VARCHAR NOT NULL,
    project_id  VARCHAR NOT NULL,
    seq         INTEGER NOT NULL,
    label       VARCHAR NOT NULL,
    fiscal_year INTEGER,            -- NULL when the source does not say
    note        VARCHAR             -- the text printed in that year's cell
);

CREATE TABLE IF NOT EXISTS kpis (
    plan_id    VARCHAR NOT NULL,
    kpi_id     VARCHAR NOT NULL,    -- '<project_id>-<n>'
    project_id VARCHAR NOT NULL,    -- the project it is stored under (the original for 再掲)
    name       VARCHAR NOT NULL,
    unit       VARCHAR NOT NULL DEFAULT '',
    direction  VARCHAR NOT NULL CHECK (direction IN ('higher', 'lower', 'maintain')),
    cumulative BOOLEAN NOT NULL DEFAULT false,
    rationale  VARCHAR,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (plan_id, kpi_id)
);

-- Every project a KPI is printed under: its own project, and relisted projects that print it again.
CREATE TABLE IF NOT EXISTS project_kpis (
    plan_id    VARCHAR NOT NULL,
    project_id VARCHAR NOT NULL,
    kpi_id     VARCHAR NOT NULL,
    relisted   BOOLEAN NOT NULL     -- true when shown here as a 再掲 of another project's KPI
);

CREATE TABLE IF NOT EXISTS kpi_targets (
    plan_id      VARCHAR NOT NULL,
    kpi_id       VARCHAR NOT NULL,
    fiscal_year  INTEGER NOT NULL,
    target_value DOUBLE,            -- NULL for text targets
    comparator   VARCHAR CHECK (comparator IN ('>=', '<=', '=')),
    target_text  VARCHAR NOT NULL,  -- as printed
    PRIMARY KEY (plan_id, kpi_id, fiscal_year)
);

CREATE SEQUENCE IF NOT EXISTS upload_id_seq START 1;

CREATE TABLE IF NOT EXISTS uploads (
    upload_id      INTEGER PRIMARY KEY DEFAULT nextval('upload_id_seq'),
    kind           VARCHAR NOT NULL CHECK (kind IN ('plan', 'actuals', 'sample')),
    plan_id        VARCHAR,
    filename       VARCHAR NOT NULL,
    sha256         VARCHAR NOT NULL,
    uploaded_at    TIMESTAMP NOT NULL,
    uploaded_by    VARCHAR NOT NULL,
    status         VARCHAR NOT NULL CHECK (status IN ('active', 'rolled_back')),
    rows_new       INTEGER NOT NULL DEFAULT 0,
    rows_changed   INTEGER NOT NULL DEFAULT 0,
    rows_unchanged INTEGER NOT NULL DEFAULT 0,
    rows_skipped   INTEGER NOT NULL DEFAULT 0,
    rolled_back_at TIMESTAMP,
    rolled_back_by VARCHAR
);

-- Append-only history: a new value supersedes, nothing is ever deleted by an upload.
CREATE TABLE IF NOT EXISTS kpi_actuals (
    plan_id      VARCHAR NOT NULL,
    kpi_id       VARCHAR NOT NULL,
    fiscal_year  INTEGER NOT NULL,
    actual_value DOUBLE NOT NULL,
    note         VARCHAR,
    upload_id    INTEGER NOT NULL,
    recorded_at  TIMESTAMP NOT NULL,
    source_cell  VARCHAR            -- sheet!cell it was read from
);

-- The current values, optionally of one plan: the filter applies where kpi_actuals is read, so
-- one plan's grading never reads the other plans' history (the view below is every plan).
-- `without` (a list of upload ids) gives the values as they would be with those uploads
-- rolled back: what a rollback preview shows.
CREATE OR REPLACE MACRO kpi_actuals_current_of(plan_filter := NULL, without := NULL) AS TABLE
SELECT a.plan_id, a.kpi_id, a.fiscal_year, a.actual_value, a.note, a.upload_id, a.recorded_at,
       u.kind = 'sample' AS is_sample  -- fictional sample data (DESIGN 8): never report it as real
FROM kpi_actuals a
JOIN uploads u ON u.upload_id = a.upload_id
WHERE u.status = 'active' AND (plan_filter IS NULL OR a.plan_id = plan_filter)
  AND (without IS NULL OR NOT list_contains(without, a.upload_id))
QUALIFY row_number() OVER (
    PARTITION BY a.plan_id, a.kpi_id, a.fiscal_year ORDER BY a.upload_id DESC
) = 1;

CREATE OR REPLACE VIEW kpi_actuals_current AS
SELECT * FROM kpi_actuals_current_of();

-- A comment on a row whose 実績値 is blank or 「－」 ("集計中（5月末確定予定）", issue #10): it says
-- why a value is missing. Kept apart from kpi_actuals so that it is never a value: it is not
-- graded, never supersedes a value in kpi_actuals_current, and a rollback marks its upload
-- like any other. Append-only, like kpi_actuals.
CREATE TABLE IF NOT EXISTS kpi_unreported_notes (
    plan_id      VARCHAR NOT NULL,
    kpi_id       VARCHAR NOT NULL,
    fiscal_year  INTEGER NOT NULL,
    note         VARCHAR NOT NULL,
    upload_id    INTEGER NOT NULL,
    recorded_at  TIMESTAMP NOT NULL,
    source_cell  VARCHAR            -- sheet!cell of the 実績値 left blank
);

-- The newest such comment per KPI and year from an active upload (kpi_status shows it where
-- there is no current value; it is tiny, so joining it costs nothing).
CREATE OR REPLACE MACRO kpi_unreported_notes_newest_of(plan_filter := NULL) AS TABLE
SELECT n.plan_id, n.kpi_id, n.fiscal_year, n.note, n.upload_id, n.recorded_at, n.source_cell
FROM kpi_unreported_notes n
JOIN uploads u ON u.upload_id = n.upload_id
WHERE u.status = 'active' AND (plan_filter IS NULL OR n.plan_id = plan_filter)
QUALIFY row_number() OVER (
    PARTITION BY n.plan_id, n.kpi_id, n.fiscal_year ORDER BY n.upload_id DESC
) = 1;

-- For analysts: those comments that no value of an upload at least as new has answered.
CREATE OR REPLACE VIEW kpi_unreported_notes_current AS
SELECT n.*
FROM kpi_unreported_notes_newest_of() n
WHERE NOT EXISTS (
    SELECT 1 FROM kpi_actuals_current a
    WHERE a.plan_id = n.plan_id AND a.kpi_id = n.kpi_id AND a.fiscal_year = n.fiscal_year
      AND a.upload_id >= n.upload_id
);

-- Actuals of KPIs that the current plan no longer has: kept, listed here.
CREATE OR REPLACE VIEW orphaned_actuals AS
SELECT a.*
FROM kpi_actuals a
WHERE NOT EXISTS (SELECT 1 FROM kpis k WHERE k.plan_id = a.plan_id AND k.kpi_id = a.kpi_id);

-- The grading rules of DESIGN 6 for one value against one target, as scalar macros: the
-- grades of kpi_status_at and the outlook of kpi_outlook_of (a projected value graded against
-- the final target) are the same rules, written once.
-- Achievement rate (%): actual / target for higher and maintain, target / actual for lower
-- (an actual of 0 on a lower KPI is 100); NULL when either side is missing.
CREATE OR REPLACE MACRO kpi_achievement_rate(direction, target_value, actual_value) AS
CASE
    WHEN target_value IS NULL OR actual_value IS NULL THEN NULL
    WHEN direction = 'lower' THEN
        CASE WHEN actual_value = 0 THEN 100.0 ELSE target_value / actual_value * 100 END
    WHEN target_value = 0 THEN 100.0
    ELSE actual_value / target_value * 100
END;

CREATE OR REPLACE MACRO kpi_met(comparator, target_value, actual_value) AS
CASE
    WHEN target_value IS NULL OR actual_value IS NULL THEN NULL
    WHEN comparator = '<=' THEN actual_value <= target_value
    ELSE actual_value >= target_value   -- '>=' and '=' (more often than planned is fine)
END;

-- A / B / C / D from met and the rate, with the band edges b_min / c_min (config.toml).
CREATE OR REPLACE MACRO kpi_grade_of(met, achievement_rate, b_min, c_min) AS
CASE
    WHEN met IS NULL THEN NULL
    WHEN met THEN 'A'
    WHEN achievement_rate >= b_min THEN 'B'
    WHEN achievement_rate >= c_min THEN 'C'
    ELSE 'D'
END;

-- Grading (DESIGN 6) for every KPI and every fiscal year of its plan, as of a date.
-- as_of decides only whether a year has ended (未報告 vs 対象年度前); the actuals are always the
-- current ones, so this is not a snapshot of what was known on that date.
-- b_min / c_min are the band edges from config.toml; kpi_status below bakes in the configured ones.
-- plan_filter limits the work to one plan (the app always asks for one). It filters kpis and
-- plans where they are read: with a national database (1,741 plans, 70,000 KPIs) a filter
-- after the year expansion read every plan's KPIs (EXPLAIN ANALYZE, docs/benchmarks.md).
CREATE OR REPLACE MACRO kpi_status_at(as_of, b_min, c_min, plan_filter := NULL) AS TABLE
WITH plan_years AS (
    SELECT plan_id, CAST(unnest(range(start_fy, end_fy + 1)) AS INTEGER) AS fiscal_year
    FROM plans
    WHERE plan_filter IS NULL OR plan_id = plan_filter
), plan_kpis AS (
    SELECT plan_id, kpi_id, direction, cumulative
    FROM kpis
    WHERE plan_filter IS NULL OR plan_id = plan_filter
), base AS (
    SELECT k.plan_id, k.kpi_id, y.fiscal_year, k.direction, k.cumulative,
           t.target_value, t.comparator, t.target_text,
           a.actual_value, a.note, a.upload_id, a.is_sample,
           as_of > make_date(y.fiscal_year + 1, 3, 31) AS year_ended
    FROM plan_kpis k
    JOIN plan_years y USING (plan_id)
    LEFT JOIN kpi_targets t
        ON t.plan_id = k.plan_id AND t.kpi_id = k.kpi_id AND t.fiscal_year = y.fiscal_year
    LEFT JOIN kpi_actuals_current_of(plan_filter := plan_filter) a
        ON a.plan_id = k.plan_id AND a.kpi_id = k.kpi_id AND a.fiscal_year = y.fiscal_year
), noted AS (
    -- No value: the comment of a row left blank, if any (issue #10); never a value itself.
    SELECT b.* REPLACE (CASE WHEN b.actual_value IS NULL THEN n.note ELSE b.note END AS note)
    FROM base b
    LEFT JOIN kpi_unreported_notes_newest_of(plan_filter := plan_filter) n
        ON n.plan_id = b.plan_id AND n.kpi_id = b.kpi_id AND n.fiscal_year = b.fiscal_year
), rated AS (
    SELECT *,
        kpi_achievement_rate(direction, target_value, actual_value) AS achievement_rate,
        kpi_met(comparator, target_value, actual_value) AS met
    FROM noted
)
SELECT plan_id, kpi_id, fiscal_year, target_value, comparator, target_text,
       actual_value, achievement_rate,
       CASE
           WHEN target_text IS NULL THEN '目標なし'
           WHEN target_value IS NULL THEN '評価対象外'
           WHEN actual_value IS NOT NULL THEN kpi_grade_of(met, achievement_rate, b_min, c_min)
           WHEN year_ended THEN '未報告'
           ELSE '対象年度前'
       END AS grade,
       met, note, upload_id, direction, cumulative, is_sample
FROM rated;

-- 見込み (issue #15): will each KPI reach its final target on the present trend? One row per
-- plan, KPI and as-of fiscal year Y of its plan. The method (docs/decisions.md "Outlook"):
--   points: the current actuals of the plan's years <= Y (after corrections and rollbacks);
--   final_year N: the last year of the plan with a numeric target for the KPI;
--   with >= 2 points, an ordinary least-squares line value = a + b * fiscal_year through them
--   (regr_slope / regr_intercept; the intercept is taken at x = fiscal_year - N, so it is the
--   line's value at N); projected_value = that value, floored at 0 (values are never negative);
--   outlook_grade = the grade projected_value gets against N's target, by the rules above;
--   when Y >= N and N has an actual, the outlook is N's own grade (basis 'actual');
--   fewer than two points: '見込み算出不可'; no numeric target in any year: '評価対象外'.
-- A cumulative KPI is fitted on its values as reported. is_sample: a point is fictional.
-- The view kpi_outlook (created by the app with the configured bands) is this for every plan.
CREATE OR REPLACE MACRO kpi_outlook_of(b_min, c_min, plan_filter := NULL) AS TABLE
WITH plan_periods AS (
    SELECT plan_id, start_fy, end_fy FROM plans
    WHERE plan_filter IS NULL OR plan_id = plan_filter
), plan_kpis AS (
    SELECT k.plan_id, k.kpi_id, k.direction, p.start_fy, p.end_fy
    FROM kpis k
    JOIN plan_periods p ON p.plan_id = k.plan_id
    WHERE plan_filter IS NULL OR k.plan_id = plan_filter
), finals AS (
    SELECT plan_id, kpi_id, max(fiscal_year) AS final_year
    FROM kpi_targets
    WHERE target_value IS NOT NULL AND (plan_filter IS NULL OR plan_id = plan_filter)
    GROUP BY plan_id, kpi_id
), final_targets AS (
    SELECT f.plan_id, f.kpi_id, f.final_year, t.target_value, t.comparator
    FROM finals f
    JOIN kpi_targets t
        ON t.plan_id = f.plan_id AND t.kpi_id = f.kpi_id AND t.fiscal_year = f.final_year
), as_of_years AS (
    SELECT plan_id, kpi_id, direction, start_fy,
           CAST(unnest(range(start_fy, end_fy + 1)) AS INTEGER) AS as_of_year
    FROM plan_kpis
), points AS (
    SELECT * FROM kpi_actuals_current_of(plan_filter := plan_filter)
), fits AS (
    SELECT y.plan_id, y.kpi_id, y.as_of_year, any_value(y.direction) AS direction,
           any_value(t.final_year) AS final_year,
           any_value(t.target_value) AS final_target_value,
           any_value(t.comparator) AS final_comparator,
           count(a.actual_value) AS points,
           regr_slope(a.actual_value, a.fiscal_year) AS slope,
           regr_intercept(a.actual_value, a.fiscal_year - t.final_year) AS line_at_final,
           max(a.actual_value) FILTER (WHERE a.fiscal_year = t.final_year) AS final_actual,
           max(a.fiscal_year) AS last_point_year,
           arg_max(a.actual_value, a.fiscal_year) AS last_point_value,
           coalesce(bool_or(a.is_sample), false) AS is_sample
    FROM as_of_years y
    LEFT JOIN final_targets t ON t.plan_id = y.plan_id AND t.kpi_id = y.kpi_id
    LEFT JOIN points a
        ON a.plan_id = y.plan_id AND a.kpi_id = y.kpi_id
       AND a.fiscal_year BETWEEN y.start_fy AND y.as_of_year
    GROUP BY y.plan_id, y.kpi_id, y.as_of_year
), projected AS (
    SELECT *,
        CASE
            WHEN final_year IS NULL THEN NULL
            WHEN as_of_year >= final_year AND final_actual IS NOT NULL THEN 'actual'
            WHEN points >= 2 THEN 'trend'
        END AS basis
    FROM fits
), valued AS (
    SELECT *,
        CASE basis
            WHEN 'actual' THEN final_actual
            WHEN 'trend' THEN greatest(line_at_final, 0.0)
        END AS projected_value
    FROM projected
)
SELECT plan_id, kpi_id, as_of_year, points, slope, projected_value, final_year,
       final_target_value,
       CASE
           WHEN final_year IS NULL THEN '評価対象外'
           WHEN basis IS NULL THEN '見込み算出不可'
           ELSE kpi_grade_of(
               kpi_met(final_comparator, final_target_value, projected_value),
               kpi_achievement_rate(direction, final_target_value, projected_value),
               b_min, c_min)
       END AS outlook_grade,
       is_sample,
       final_comparator, direction, basis,
       kpi_achievement_rate(direction, final_target_value, projected_value) AS projected_rate,
       last_point_year, last_point_value
FROM valued;
