import { execFileSync } from "node:child_process";
import path from "node:path";

/** After every test, while the server still runs: the secret scan. */
export default function globalTeardown() {
  const root = path.resolve(process.cwd(), "..");
  const out = execFileSync(path.join(root, "scripts", "secret-scan.sh"), { cwd: root, encoding: "utf8" });
  process.stdout.write(out);
}
