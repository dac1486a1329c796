import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { RedisLocks } from "../coordination/redis-locks";

/**
 * Test support, loaded with `node --require` into a separately started image-service by the multi-instance tests:
 * BMI_TEST_HOLD_AT_FENCE=NAME|DIR makes the first commit of an operation holding a lock whose key contains NAME wait
 * right before its fence (the lock check): it writes DIR/waiting, then waits until DIR/go exists. Meanwhile the test
 * can stop the process (its leases run out), start others, or look at the pool with the operation half-done.
 */
const [name = "", dir = ""] = (process.env.BMI_TEST_HOLD_AT_FENCE ?? "").split("|");

if (name && dir) {
  const fence = RedisLocks.prototype.fence;
  let fired = false;
  RedisLocks.prototype.fence = async function held(this: RedisLocks): Promise<void> {
    if (!fired && this.heldKeys().some((k) => k.includes(name))) {
      fired = true;
      writeFileSync(path.join(dir, "waiting"), `${process.pid}\n`);
      while (!existsSync(path.join(dir, "go"))) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return fence.call(this);
  };
}
