"""What the release gate judges: the verdicts, Phase 11's thresholds, the app's flows, and
which evidence file backs which metric."""




GO, NO_GO, NOT_MEASURED = "GO", "NO-GO", "NOT MEASURED"
EXIT_CODES = {GO: 0, NO_GO: 1, NOT_MEASURED: 2}

# Phase 11's thresholds (shared/DESIGN.md); the load run's own slo.toml may be edited, these not
AVERAGE_MS = 500.0
UPLOAD_RATE = 0.95
PAYMENT_RATE = 0.98
TEST_COVERAGE = 0.85
API_COVERAGE = 0.90
# journeys a rate needs before a sample that is not clearly below it is judged, when the load
# gate's report does not say (load/slo.toml's values)
MIN_JOURNEYS = {"upload_success": 80, "payment_success": 200}
CONFIDENCE = 0.95

# the flows of the app's features (folders of suites/); every one must have run
APP_FLOWS = ("auth", "addresses", "catalog", "orders", "uploads", "payments", "wallet",
             "notifications", "chat")
# the flows Phase 11 names one by one
KEY_FLOWS = {"payments": "payment end to end", "uploads": "image upload",
             "chat": "chat synchronised", "notifications": "push delivered"}
SECURITY_FLOW = "security"
DOCS_PATH = "/api/docs/"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
# how many named items a detail list shows before it counts the rest
NAMED = 12

# key -> (where it lives: out, load or coverage dir; its path there; label of its link)
FILES = {
    "run": ("out", "run.json", "run.json"),
    "flows": ("out", "flows.json", "outcome by flow (flows.json)"),
    "findings": ("out", "findings.json", "findings.json"),
    "findings_md": ("out", "findings.md", "findings"),
    "junit": ("out", "junit.xml", "JUnit cases"),
    "summary": ("out", "summary.md", "run summary"),
    "allure": ("out", "allure-report/index.html", "Allure report"),
    "mobile": ("out", "contract/mobile-contract.json", "mobile contract (json)"),
    "mobile_md": ("out", "contract/mobile-contract.md", "mobile contract"),
    "coverage": ("out", "contract/coverage.json", "API coverage (json)"),
    "coverage_md": ("out", "contract/coverage.md", "API coverage"),
    "openapi": ("out", "contract/openapi.json", "the target's OpenAPI"),
    "load": ("load", "gate.json", "load gate (json)"),
    "locust": ("load", "locust.html", "Locust report"),
    "backend": ("coverage", "backend.json", "backend coverage (json)"),
    "backend_html": ("coverage", "html/index.html", "backend coverage"),
}
JSON_KEYS = ("run", "flows", "findings", "mobile", "coverage", "openapi", "load", "backend")
# which files back each metric's evidence links, in order
LINKS = {
    "features": ("mobile_md", "flows", "summary", "findings_md"),
    "flows": ("flows", "junit", "allure"),
    "average_response": ("load", "locust"),
    "upload_success": ("load", "locust"),
    "payment_success": ("load", "locust"),
    "security": ("findings_md", "findings", "junit"),
    "test_coverage": ("coverage_md", "backend_html", "backend"),
    "api_coverage": ("coverage_md", "coverage"),
    "documentation": ("openapi",),
}
