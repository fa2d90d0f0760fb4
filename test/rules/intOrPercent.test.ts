import { strict as assert } from "assert";
import { readCount, readIntOrPercent, scale } from "../../policies/rules/intOrPercent";
import { allowedDisruptions } from "../../policies/rules";

describe("rules: integer-or-percentage values", () => {
    it("reads integers and digit-only percentages", () => {
        assert.deepEqual(readIntOrPercent(3), { ok: true, value: { type: "int", value: 3 } });
        assert.deepEqual(readIntOrPercent("0%"), { ok: true, value: { type: "percent", percent: 0 } });
        assert.deepEqual(readIntOrPercent("100%", 100), { ok: true, value: { type: "percent", percent: 100 } });
        assert.deepEqual(readIntOrPercent(undefined), { ok: true, value: undefined });
        assert.deepEqual(readIntOrPercent(null), { ok: true, value: undefined });
    });

    it("rejects what the API server rejects, with the value in the reason", () => {
        for (const bad of ["abc%", "12.5%", "-1%", "5", "", " 5%", -1, 1.5, true, {}, [1]]) {
            const read = readIntOrPercent(bad, 100);
            assert.ok(!read.ok, `${JSON.stringify(bad)} was accepted`);
            assert.ok(read.problem.includes(JSON.stringify(bad)), read.problem);
        }
        assert.match((readIntOrPercent("101%", 100) as { problem: string }).problem, /more than 100%/);
        assert.ok(readIntOrPercent("150%").ok, "maxSurge percentages have no cap");
    });

    it("counts are non-negative integers", () => {
        assert.deepEqual(readCount(0), { ok: true, value: 0 });
        assert.ok(!readCount(-1).ok);
        assert.ok(!readCount("3").ok);
        assert.ok(!readCount(2.5).ok);
    });

    it("scales percentages up or down exactly", () => {
        const p = (percent: number) => ({ type: "percent" as const, percent });
        assert.equal(scale(p(50), 3, "up"), 2);
        assert.equal(scale(p(50), 3, "down"), 1);
        assert.equal(scale(p(25), 3, "down"), 0);
        assert.equal(scale(p(25), 4, "down"), 1);
        assert.equal(scale(p(1), 1, "up"), 1);
        // 0.29 * 100 is 28.999999999999996 in floating point; multiplying first keeps it 29.
        assert.equal(scale(p(29), 100, "down"), 29);
        assert.equal(scale(p(29), 100, "up"), 29);
        assert.equal(scale({ type: "int", value: 2 }, 10, "down"), 2);
    });

    it("allowed disruptions follow the disruption controller", () => {
        const int = (value: number) => ({ type: "int" as const, value });
        const pct = (percent: number) => ({ type: "percent" as const, percent });
        assert.equal(allowedDisruptions({ maxUnavailable: int(1) }, 3), 1);
        assert.equal(allowedDisruptions({ maxUnavailable: int(5) }, 3), 3, "capped at the replica count");
        assert.equal(allowedDisruptions({ maxUnavailable: int(0) }, 3), 0);
        assert.equal(allowedDisruptions({ maxUnavailable: pct(10) }, 1), 1, "maxUnavailable percentages round up");
        assert.equal(allowedDisruptions({ maxUnavailable: pct(0) }, 5), 0);
        assert.equal(allowedDisruptions({ minAvailable: int(2) }, 3), 1);
        assert.equal(allowedDisruptions({ minAvailable: int(4) }, 3), 0);
        assert.equal(allowedDisruptions({ minAvailable: pct(50) }, 1), 0, "50% of 1 rounds up to 1");
        assert.equal(allowedDisruptions({ minAvailable: pct(50) }, 3), 1);
        assert.equal(allowedDisruptions({ minAvailable: pct(60) }, 2), 0);
        assert.equal(allowedDisruptions({}, 3), 3, "no budget fields: nothing is protected");
    });
});
