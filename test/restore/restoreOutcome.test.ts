import { strict as assert } from "assert";
import { parseRestoreOutcome, restoreOutcomeNotice } from "../../components/restore/restoreOutcome";

const RESTORE = "restore-daily-full-20261123021700";
const line = (rest: string) => `restores.velero.io velero/${RESTORE}: ${rest}\n`;

describe("restore: how a Velero restore ended", () => {
    it("reads the phase and both counts from the waiter's line", () => {
        assert.deepEqual(parseRestoreOutcome(RESTORE, line("PartiallyFailed (errors=2 warnings=41)")), {
            restore: RESTORE,
            phase: "PartiallyFailed",
            errors: 2,
            warnings: 41,
        });
    });

    it("reads counts Velero left out (zero) as 0", () => {
        assert.deepEqual(parseRestoreOutcome(RESTORE, line("Completed (errors= warnings=)")), {
            restore: RESTORE,
            phase: "Completed",
            errors: 0,
            warnings: 0,
        });
        assert.deepEqual(parseRestoreOutcome(RESTORE, line("Completed (errors= warnings=7)")), {
            restore: RESTORE,
            phase: "Completed",
            errors: 0,
            warnings: 7,
        });
    });

    it("reads a line without a report (the report could not be read)", () => {
        assert.deepEqual(parseRestoreOutcome(RESTORE, line("Completed")), { restore: RESTORE, phase: "Completed", errors: 0, warnings: 0 });
    });

    it("gives phase unknown, not an exception, for a line of another shape", () => {
        assert.equal(parseRestoreOutcome(RESTORE, "").phase, "unknown");
        assert.equal(parseRestoreOutcome(RESTORE, "done").phase, "unknown");
    });

    it("warns on PartiallyFailed with the counts and the commands that show what is missing", () => {
        const notice = restoreOutcomeNotice({ restore: RESTORE, phase: "PartiallyFailed", errors: 2, warnings: 41 });
        assert.match(notice ?? "", /ended PartiallyFailed with 2 error\(s\) and 41 warning\(s\)/);
        assert.match(notice ?? "", new RegExp(`velero restore describe ${RESTORE} --details`));
        assert.match(notice ?? "", new RegExp(`velero restore logs ${RESTORE}`));
    });

    it("warns when the outcome could not be read, and stays quiet on Completed", () => {
        assert.match(restoreOutcomeNotice({ restore: RESTORE, phase: "unknown", errors: 0, warnings: 0 }) ?? "", /could not be read/);
        assert.equal(restoreOutcomeNotice({ restore: RESTORE, phase: "Completed", errors: 0, warnings: 3 }), undefined);
    });
});
