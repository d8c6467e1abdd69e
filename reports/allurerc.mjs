// Allure 3 configuration of `make report` (Makefile: `allure run --config reports/allurerc.mjs`).
//
// The release verdict is reports/gate's (gate.md). Its metrics are the "Release gate" suite
// of the results (reports/gate/allure.py: GO passed, NO-GO failed, NOT MEASURED broken), and
// Allure's quality gate says of that suite what its rules can say: every metric has a result,
// and none failed or is broken. So the report's "Quality Gates" tab and the CLI's exit status
// agree with gate.md; which evidence counts, thresholds and NO-GO (1) apart from NOT MEASURED
// (2) stay the gate's. The suites' own failures are not rules here: the gate's `features` and
// `flows` metrics judge them.

import { existsSync, readFileSync } from "node:fs";

const RELEASE_GATE = "Release gate";
// one result per metric of gate.json: `make report` passes the gate's own count
// (`python -m reports.gate --count`), so a metric added there is required here too
const METRICS = Number(process.env.LC_GATE_METRICS);
if (!Number.isInteger(METRICS) || METRICS < 1) {
  throw new Error("LC_GATE_METRICS (the release gate's number of metrics) is not set: run make report");
}

const inReleaseGate = (tr) =>
  (tr.labels ?? []).some((label) => label.name === "suite" && label.value === RELEASE_GATE);

// Categories: Allure 3 puts a result in the first category that matches, so the gate's own come
// first (a metric NOT MEASURED is not a harness error, a NO-GO not a product defect of a case),
// then the run's, which the harness writes into its results (fixtures/reporting.py,
// categories.json) and `make report` names in LC_ALLURE_CATEGORIES.
const gateLabel = { suite: `^${RELEASE_GATE}$` };
const GATE_CATEGORIES = [
  { name: "Release gate: NO-GO", matchers: { labels: gateLabel, statuses: ["failed"] } },
  { name: "Release gate: not measured (no evidence)",
    matchers: { labels: gateLabel, statuses: ["broken"] } },
];
const runCategories = () => {
  const path = process.env.LC_ALLURE_CATEGORIES;
  return path && existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : [];
};

export default {
  name: "LaundryConnect e2e",
  // every report appends a line; each result's trend is read from it
  historyPath: process.env.LC_ALLURE_HISTORY || "reports/out/history.jsonl",
  categories: [...GATE_CATEGORIES, ...runCategories()],
  qualityGate: {
    rules: [
      {
        id: "release-gate",
        filter: inReleaseGate,
        minTestsCount: METRICS,
        maxFailures: 0,
      },
    ],
  },
};
