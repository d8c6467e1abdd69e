// Allure 3 configuration of `make report` (Makefile: `allure run --config reports/allurerc.mjs`).
//
// The release verdict is reports/gate's (gate.md). Its metrics are the "Release gate" suite
// of the results (reports/gate/allure.py: GO passed, NO-GO failed, NOT MEASURED broken), and
// Allure's quality gate says of that suite what its rules can say: every metric has a result,
// and none failed or is broken. So the report's "Quality Gates" tab and the CLI's exit status
// agree with gate.md; which evidence counts, thresholds and NO-GO (1) apart from NOT MEASURED
// (2) stay the gate's. The suites' own failures are not rules here: the gate's `features` and
// `flows` metrics judge them.

const RELEASE_GATE = "Release gate";
// one result per metric of gate.json (ARCHITECTURE.md, "The release gate")
const METRICS = 9;

const inReleaseGate = (tr) =>
  (tr.labels ?? []).some((label) => label.name === "suite" && label.value === RELEASE_GATE);

export default {
  name: "LaundryConnect e2e",
  // every report appends a line; each result's trend is read from it
  historyPath: process.env.LC_ALLURE_HISTORY || "reports/out/history.jsonl",
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
