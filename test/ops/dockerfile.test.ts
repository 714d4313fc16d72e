// The Dockerfile, kept honest without a Docker engine: its instructions are interpreted here, the
// same commands in the same order, in scratch directories, and the image they build is started as
// `docker run` would start it.
//
// How each instruction is replayed:
//   FROM node:<n>…       a new stage whose filesystem root is its own empty scratch directory; the
//                        base image's programs (node, npm, sh) are this machine's, whose Node major
//                        version must be the tag's. Any other base image fails the test.
//   WORKDIR, ENV, USER,  as Docker does; absolute paths the Dockerfile itself creates (/app, /data:
//   VOLUME, EXPOSE       the first segment of every WORKDIR, absolute COPY destination and VOLUME)
//                        are rewritten to the stage's scratch root, in ENV values, RUN lines, the
//                        CMD and the HEALTHCHECK alike. No variable substitution ($) is supported.
//   COPY [--from] [--chown]  from a clean build context (see below), or from an earlier stage's root
//                        (as hard links, to save seconds: that stage is not used again). Ownership
//                        cannot be given here: --chown and RUN's chown are recorded, not applied.
//   RUN                  `sh -c` in the stage's WORKDIR with its ENV and this machine's PATH (minus any
//                        node_modules/.bin), nothing else from the environment. `npm ci` may reach the
//                        npm registry; every other RUN line runs without any network (a new network
//                        namespace, where this machine allows one), so a step that downloads fails.
//   HEALTHCHECK, CMD     recorded; the final stage's are what the test runs.
// Anything else (ADD, ARG, ENTRYPOINT, SHELL, a flag it does not know, …) fails the test, so that a
// new step cannot be silently skipped.
//
// The build context is the repository's files as git sees them (tracked, plus new files not
// ignored: what a commit would hold; the working tree's contents), minus .dockerignore. Nothing
// ignored (node_modules, src/generated, .data) can reach the image and make it pass.
//
// The run: the final stage's CMD, with the image's ENV and what `docker run -e` would add (a free
// PORT, HOST=127.0.0.1, the token settings production requires), DATA_DIR's volume a scratch
// directory seeded from the image's /data, as a new named volume is, and HOME and TMPDIR scratch
// directories. USER cannot switch here, so the test asserts it is not root and that the running
// server wrote nothing outside the volume (and /tmp): not in the image's files, not in HOME.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, posix, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/db/migrations.ts";
import { backend, emptyDatabase } from "../helpers/db.ts";
import { runCommand } from "../helpers/process.ts";
import { authEnv, signToken } from "../helpers/tokens.ts";

// ---------------------------------------------------------------------------------------------
// Parsing

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Instructions with continuation lines joined and comments dropped (also inside a continuation). */
function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith("#") || (trimmed === "" && !pending)) return;
    const continues = /\\\s*$/.test(raw);
    const piece = continues ? raw.replace(/\\\s*$/, "") : raw;
    pending = pending ? { text: pending.text + piece, line: pending.line } : { text: piece, line: i + 1 };
    if (continues) return;
    const m = /^\s*(\S+)\s*(.*)$/s.exec(pending.text);
    if (m?.[1]) instructions.push({ keyword: m[1].toUpperCase(), args: (m[2] ?? "").trim(), line: pending.line });
    pending = undefined;
  });
  if (pending) throw new Error(`line ${pending.line}: the file ends inside a continuation`);
  return instructions;
}

/** Shell-like words: quotes group and are removed, a backslash escapes; `$` is refused (no substitution here). */
function words(s: string, where: string): string[] {
  const out: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  const add = (chars: string | undefined) => {
    word = (word ?? "") + (chars ?? "");
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < s.length) add(s[++i]);
      else if (c === "$" && quote === '"') throw new Error(`${where}: variable substitution is not supported`);
      else add(c);
    } else if (/\s/.test(c)) {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
      add("");
    } else if (c === "\\" && i + 1 < s.length) {
      add(s[++i]);
    } else if (c === "$") {
      throw new Error(`${where}: variable substitution is not supported`);
    } else {
      add(c);
    }
  }
  if (quote) throw new Error(`${where}: unterminated quote`);
  if (word !== undefined) out.push(word);
  return out;
}

/** The exec (JSON array) form, or undefined for the shell form. */
function execForm(args: string, where: string): string[] | undefined {
  if (!args.startsWith("[")) return undefined;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || parsed.some((a) => typeof a !== "string")) {
    throw new Error(`${where}: not a JSON array of strings`);
  }
  return parsed as string[];
}

/** Leading --name=value flags, each of them one the caller knows. */
function flags(args: string, known: string[], where: string): { flags: Record<string, string>; rest: string } {
  const found: Record<string, string> = {};
  let rest = args;
  for (let m = /^--([a-z-]+)=(\S+)\s*/.exec(rest); m; m = /^--([a-z-]+)=(\S+)\s*/.exec(rest)) {
    const [all, name, value] = m as unknown as [string, string, string];
    if (!known.includes(name)) throw new Error(`${where}: the flag --${name} is not understood by this test`);
    found[name] = value;
    rest = rest.slice(all.length);
  }
  if (rest.startsWith("--"))
    throw new Error(`${where}: the flag ${rest.split(/\s/)[0]} is not understood by this test`);
  return { flags: found, rest };
}

interface Stage {
  index: number;
  name: string | undefined;
  image: string;
  instructions: Instruction[];
}

function stagesOf(instructions: Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === "FROM") {
      const [image, as, name, ...more] = words(ins.args, `line ${ins.line}`);
      if (!image || (as !== undefined && (as.toUpperCase() !== "AS" || !name)) || more.length > 0) {
        throw new Error(`line ${ins.line}: FROM <image> [AS <name>] expected`);
      }
      stages.push({ index: stages.length, name, image, instructions: [] });
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`line ${ins.line}: ${ins.keyword} before the first FROM`);
      stage.instructions.push(ins);
    }
  }
  return stages;
}

// ---------------------------------------------------------------------------------------------
// The build context

/** .dockerignore's rules: patterns from the context root, `*`, `?`, `**`, and `!` exceptions; the last match wins. */
function dockerignore(root: string): (path: string) => boolean {
  const file = join(root, ".dockerignore");
  const rules = existsSync(file)
    ? readFileSync(file, "utf8")
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("#"))
        .map((l) => {
          const negate = l.startsWith("!");
          const pattern = posix.normalize((negate ? l.slice(1) : l).trim()).replace(/^\/+|\/+$/g, "");
          const source = pattern
            .split(/(\*\*\/?|\*|\?)/)
            .map((part) => {
              if (part === "**/" || part === "**") return "(?:.*/)?";
              if (part === "*") return "[^/]*";
              if (part === "?") return "[^/]";
              return part.replace(/[.+^${}()|[\]\\]/g, "\\$&");
            })
            .join("");
          return { negate, re: new RegExp(`^${source}$`) };
        })
    : [];
  return (path) => {
    const parts = path.split("/");
    // a rule that matches a directory excludes what is below it
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
    let ignored = false;
    for (const rule of rules) if (prefixes.some((p) => rule.re.test(p))) ignored = !rule.negate;
    return ignored;
  };
}

function exportContext(dest: string): string[] {
  const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
  })
    .split("\0")
    .filter((p) => p !== "");
  const ignored = dockerignore(PROJECT_ROOT);
  const files = [...new Set(listed)].filter((p) => existsSync(join(PROJECT_ROOT, p)) && !ignored(p));
  for (const p of files) {
    mkdirSync(dirname(join(dest, p)), { recursive: true });
    cpSync(join(PROJECT_ROOT, p), join(dest, p), { verbatimSymlinks: true });
  }
  return files;
}

// ---------------------------------------------------------------------------------------------
// The build

interface HealthCheck {
  options: Record<string, string>;
  /** argv; the shell form is ["sh", "-c", line]. */
  command: string[];
}

interface Image {
  /** The final stage's filesystem root. */
  root: string;
  env: Record<string, string>;
  workdir: string;
  user: string | undefined;
  volumes: string[];
  exposed: string[];
  healthcheck: HealthCheck | undefined;
  cmd: string[];
  /** `chown` and `COPY --chown` of the final stage: owner and container path. */
  ownership: { owner: string; path: string }[];
  /** Whether the RUN lines other than npm ci ran without a network. */
  offline: boolean;
  /** Rewrites the image's absolute paths in a string for a run whose volumes are at `volumes`. */
  rewrite(s: string, volumes: Record<string, string>): string;
}

const PATH = (process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin")
  .split(":")
  .filter((p) => p !== "" && !p.includes("node_modules"))
  .join(":");
/** What this machine needs to reach the npm registry, as a Docker daemon's settings would give a build. */
const REGISTRY_ENV = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k, v]) => v !== undefined && /^(https?_proxy|no_proxy|node_extra_ca_certs|npm_config_registry)$/i.test(k),
  ),
) as Record<string, string>;

function networkIsolation(): boolean {
  return spawnSync("unshare", ["-rn", "true"]).status === 0;
}

function run(
  argv: string[],
  options: { cwd: string; env: Record<string, string>; offline?: boolean },
): Promise<{ code: number | null; output: string }> {
  return runCommand(options.offline ? ["unshare", "-rn", ...argv] : argv, { cwd: options.cwd, env: options.env });
}

const REPLAYED = ["ENV", "WORKDIR", "COPY", "RUN", "USER", "VOLUME", "EXPOSE", "HEALTHCHECK", "CMD"];
const FLAGS: Record<string, string[]> = {
  COPY: ["from", "chown"],
  HEALTHCHECK: ["interval", "timeout", "start-period", "start-interval", "retries"],
};
/** Instructions where Docker substitutes variables, which this replay does not. */
const SUBSTITUTED = ["ENV", "WORKDIR", "COPY", "USER", "VOLUME", "EXPOSE"];

/** Before anything runs: every base image, instruction and flag is one the replay knows how to reproduce. */
function checkReplayable(stages: Stage[]): void {
  for (const stage of stages) {
    const m = /^node:(\d+)(?:[.-]|$)/.exec(stage.image);
    if (!m) throw new Error(`FROM ${stage.image}: only node:<version> base images can be replayed here`);
    expect(process.versions.node.split(".")[0], `FROM ${stage.image} against this machine's Node`).toBe(m[1]);
    for (const ins of stage.instructions) {
      const where = `Dockerfile line ${ins.line} (${ins.keyword})`;
      if (!REPLAYED.includes(ins.keyword)) {
        throw new Error(`${where}: this test does not know how to replay ${ins.keyword}`);
      }
      const { rest } = flags(ins.args, FLAGS[ins.keyword] ?? [], where);
      if (SUBSTITUTED.includes(ins.keyword) && !rest.startsWith("[")) words(rest, where);
    }
  }
}

async function buildImage(dockerfileText: string, scratch: string): Promise<Image> {
  const stages = stagesOf(parseDockerfile(dockerfileText));
  checkReplayable(stages);
  const context = join(scratch, "context");
  mkdirSync(context);
  exportContext(context);
  const offline = networkIsolation();
  const home = join(scratch, "build-home");
  mkdirSync(home);
  // A chown that records what it was asked (the users are the image's, not this machine's).
  const shims = join(scratch, "shims");
  mkdirSync(shims);
  const chownLog = join(scratch, "chown.log");
  execFileSync("sh", [
    "-c",
    `cat > "$1" <<'EOF'
#!/bin/sh
owner=""
for a in "$@"; do
  case "$a" in
    -*) ;;
    *) if [ -z "$owner" ]; then owner="$a"; else [ -e "$a" ] || { echo "chown: cannot access '$a'" >&2; exit 1; }; echo "$owner $a" >> "${chownLog}"; fi ;;
  esac
done
EOF
chmod +x "$1"`,
    "sh",
    join(shims, "chown"),
  ]);

  // The top-level directories the Dockerfile creates; everything else (/usr, /tmp, …) is this machine's.
  const imageDirs = new Set<string>();
  const note = (p: string) => {
    if (p.startsWith("/") && p !== "/") imageDirs.add(`/${p.split("/")[1]}`);
  };
  for (const s of stages) {
    for (const ins of s.instructions) {
      if (ins.keyword === "WORKDIR") note(ins.args);
      if (ins.keyword === "VOLUME") for (const v of execForm(ins.args, "VOLUME") ?? ins.args.split(/\s+/)) note(v);
      if (ins.keyword === "COPY") {
        const w = words(flags(ins.args, ["from", "chown"], "COPY").rest, "COPY");
        note(w.at(-1) ?? "");
      }
    }
  }
  const dirsPattern = [...imageDirs].map((d) => d.replace(/[.+^${}()|[\]\\/]/g, "\\$&")).join("|");
  const pathRe = new RegExp(`(^|[\\s'"=:(,])(${dirsPattern})(?=$|[/\\s'"),;:])`, "g");
  const roots: string[] = [];
  const byName = new Map<string, number>();

  let image: Image | undefined;
  for (const stage of stages) {
    const where = (ins: Instruction) => `Dockerfile line ${ins.line} (${ins.keyword})`;
    const root = join(scratch, `stage-${stage.index}`);
    mkdirSync(root);
    roots.push(root);
    if (stage.name) byName.set(stage.name, stage.index);
    const host = (containerPath: string, volumes: Record<string, string> = {}) => {
      for (const [v, dir] of Object.entries(volumes)) {
        if (containerPath === v || containerPath.startsWith(`${v}/`)) return dir + containerPath.slice(v.length);
      }
      return join(root, containerPath);
    };
    const rewrite = (s: string, volumes: Record<string, string> = {}) =>
      dirsPattern ? s.replace(pathRe, (_all, lead: string, p: string) => lead + host(p, volumes)) : s;

    const env: Record<string, string> = {};
    let workdir = "/";
    let user: string | undefined;
    const volumes: string[] = [];
    const exposed: string[] = [];
    const ownership: { owner: string; path: string }[] = [];
    let healthcheck: HealthCheck | undefined;
    let cmd: string[] | undefined;
    const resolveIn = (p: string) => (isAbsolute(p) ? p : posix.join(workdir, p));

    for (const ins of stage.instructions) {
      switch (ins.keyword) {
        case "ENV": {
          const w = words(ins.args, where(ins));
          if (w.length > 0 && !w[0]?.includes("=")) {
            const [k, ...v] = w;
            env[k as string] = v.join(" ");
          } else {
            for (const pair of w) {
              const eq = pair.indexOf("=");
              if (eq <= 0) throw new Error(`${where(ins)}: ${pair} is not key=value`);
              env[pair.slice(0, eq)] = pair.slice(eq + 1);
            }
          }
          break;
        }
        case "WORKDIR": {
          const [dir, ...more] = words(ins.args, where(ins));
          if (!dir || more.length > 0) throw new Error(`${where(ins)}: one path expected`);
          workdir = resolveIn(dir);
          mkdirSync(host(workdir), { recursive: true });
          break;
        }
        case "COPY": {
          const { flags: f, rest } = flags(ins.args, FLAGS.COPY as string[], where(ins));
          const w = execForm(rest, where(ins)) ?? words(rest, where(ins));
          if (w.length < 2) throw new Error(`${where(ins)}: COPY <src>... <dest>`);
          const sources = w.slice(0, -1);
          const destArg = w.at(-1) as string;
          let sourceRoot = context;
          if (f.from !== undefined) {
            const index = byName.get(f.from) ?? (/^\d+$/.test(f.from) ? Number(f.from) : undefined);
            if (index === undefined || index >= stage.index)
              throw new Error(`${where(ins)}: no earlier stage ${f.from}`);
            sourceRoot = roots[index] as string;
          }
          const dest = resolveIn(destArg);
          // From a stage, hard links: the earlier stage is never used again, and a copy of its
          // node_modules would take seconds.
          const copyFlags = f.from === undefined ? ["-a"] : ["-a", "--link"];
          const intoDir = destArg.endsWith("/") || sources.length > 1;
          for (const src of sources) {
            if (/[*?[]/.test(src)) throw new Error(`${where(ins)}: wildcards are not supported by this test`);
            const from = join(sourceRoot, src);
            if (!existsSync(from)) {
              throw new Error(`${where(ins)}: ${src} is not in ${f.from ? `stage ${f.from}` : "the build context"}`);
            }
            const target = host(dest);
            if (statSync(from).isDirectory()) {
              mkdirSync(target, { recursive: true });
              execFileSync("cp", [...copyFlags, `${from}/.`, target]);
            } else {
              const file =
                intoDir || (existsSync(target) && statSync(target).isDirectory())
                  ? join(target, src.split("/").at(-1) as string)
                  : target;
              mkdirSync(dirname(file), { recursive: true });
              execFileSync("cp", [...copyFlags, from, file]);
            }
          }
          if (f.chown) ownership.push({ owner: f.chown, path: dest });
          break;
        }
        case "RUN": {
          const { rest } = flags(ins.args, [], where(ins));
          const argv = execForm(rest, where(ins))?.map((a) => rewrite(a)) ?? ["sh", "-c", rewrite(rest)];
          const needsRegistry = /^npm\s+ci(\s|$)/.test(rest);
          const before = existsSync(chownLog) ? readFileSync(chownLog, "utf8").length : 0;
          const result = await run(argv, {
            cwd: host(workdir),
            env: {
              PATH: `${shims}:${PATH}`,
              HOME: needsRegistry ? (process.env.HOME ?? home) : home,
              ...(needsRegistry ? REGISTRY_ENV : {}),
              ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, rewrite(v)])),
            },
            offline: offline && !needsRegistry,
          });
          if (result.code !== 0)
            throw new Error(`${where(ins)} failed (exit ${result.code}): ${rest}\n${result.output}`);
          if (existsSync(chownLog)) {
            for (const line of readFileSync(chownLog, "utf8").slice(before).split("\n").filter(Boolean)) {
              const [owner, path] = line.split(" ") as [string, string];
              ownership.push({ owner, path: `/${relative(root, path)}` });
            }
          }
          break;
        }
        case "USER":
          user = words(ins.args, where(ins))[0];
          break;
        case "VOLUME":
          volumes.push(...(execForm(ins.args, where(ins)) ?? words(ins.args, where(ins))));
          break;
        case "EXPOSE":
          exposed.push(...words(ins.args, where(ins)));
          break;
        case "HEALTHCHECK": {
          const { flags: options, rest } = flags(ins.args, FLAGS.HEALTHCHECK as string[], where(ins));
          const hm = /^CMD\s+(.*)$/s.exec(rest);
          if (!hm?.[1]) throw new Error(`${where(ins)}: HEALTHCHECK [options] CMD <command> expected`);
          healthcheck = { options, command: execForm(hm[1], where(ins)) ?? ["sh", "-c", hm[1]] };
          break;
        }
        case "CMD":
          cmd = execForm(ins.args, where(ins)) ?? ["sh", "-c", ins.args];
          break;
        default:
          throw new Error(`${where(ins)}: this test does not know how to replay ${ins.keyword}`);
      }
    }
    if (stage.index === stages.length - 1) {
      if (!cmd) throw new Error("the final stage has no CMD");
      image = { root, env, workdir, user, volumes, exposed, healthcheck, cmd, ownership, offline, rewrite };
    }
  }
  return image as Image;
}

// ---------------------------------------------------------------------------------------------
// Running the image

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface Container {
  /** A scratch directory per VOLUME, seeded from the image (as a new named volume is). */
  volumes: Record<string, string>;
  env: Record<string, string>;
  cwd: string;
}

function container(image: Image, scratch: string, runEnv: Record<string, string>, volumes?: Record<string, string>) {
  const vols = volumes ?? {};
  if (!volumes) {
    for (const v of image.volumes) {
      const dir = mkdtempSync(join(scratch, "volume-"));
      const seeded = join(image.root, v);
      if (existsSync(seeded)) execFileSync("cp", ["-a", `${seeded}/.`, dir]);
      vols[v] = dir;
    }
  }
  const home = mkdtempSync(join(scratch, "home-"));
  const tmp = mkdtempSync(join(scratch, "tmp-"));
  const env: Record<string, string> = {
    PATH,
    HOME: home,
    TMPDIR: tmp,
    ...Object.fromEntries(Object.entries(image.env).map(([k, v]) => [k, image.rewrite(v, vols)])),
    ...runEnv,
  };
  return { volumes: vols, env, cwd: join(image.root, image.workdir) } satisfies Container;
}

/** `docker run <image> <command>`: a one-shot command in the container, to its end. */
function runOnce(image: Image, c: Container, command: string[]) {
  return run(
    command.map((a) => image.rewrite(a, c.volumes)),
    { cwd: c.cwd, env: c.env },
  );
}

interface Running {
  child: ChildProcess;
  output(): string;
  exit: Promise<number | null>;
}

async function startCmd(image: Image, c: Container): Promise<Running> {
  const [cmd, ...args] = image.cmd.map((a) => image.rewrite(a, c.volumes));
  const child = spawn(cmd as string, args, { cwd: c.cwd, env: c.env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d) => {
    output += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
  });
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  // until it listens on its port (or exits)
  const port = Number(c.env.PORT);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the image's CMD exited with ${child.exitCode}:\n${output}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = connect({ host: "127.0.0.1", port });
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error(`the image's CMD did not listen within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, output: () => output, exit };
}

/** The HEALTHCHECK's command, run in the container as Docker runs it, within its --timeout. */
async function healthcheck(image: Image, c: Container): Promise<number | null> {
  const hc = image.healthcheck as HealthCheck;
  const timeoutMs = Number.parseFloat(hc.options.timeout ?? "30s") * 1000;
  const argv = hc.command.map((a) => image.rewrite(a, c.volumes));
  const child = spawn(argv[0] as string, argv.slice(1), { cwd: c.cwd, env: c.env, stdio: "ignore" });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  clearTimeout(timer);
  return code;
}

async function graphql(port: number, query: string, variables: Record<string, unknown> = {}) {
  const token = await signToken({ sub: "operator", roles: ["admin"], clearance: "restricted" });
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
}

async function stop(running: Running): Promise<number | null> {
  running.child.kill("SIGTERM");
  return running.exit;
}

/** size and mtime of every file under root: to show that a run changed nothing there. */
function snapshot(root: string): Map<string, string> {
  const seen = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      const st = lstatSync(p);
      seen.set(relative(root, p), `${st.size}:${st.mtimeMs}:${st.mode}`);
      if (entry.isDirectory()) walk(p);
    }
  };
  walk(root);
  return seen;
}

function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const changed: string[] = [];
  for (const [p, v] of after) if (before.get(p) !== v) changed.push(before.has(p) ? `changed ${p}` : `new ${p}`);
  for (const p of before.keys()) if (!after.has(p)) changed.push(`removed ${p}`);
  return changed;
}

/** pg_control's state (PostgreSQL's DBState); 1 = shut down cleanly, nothing to replay at the next start. */
function controlState(dataDir: string): number {
  return readFileSync(join(dataDir, "global/pg_control")).readUInt32LE(16);
}

// ---------------------------------------------------------------------------------------------

const DOCKERFILE = readFileSync(join(PROJECT_ROOT, "Dockerfile"), "utf8");
const PROJECT = "6b1f0a52-3c1d-4e6f-8a9b-0c1d2e3f4a5b";
const CREATE = `mutation($p: UUID!, $name: String!) { createBoundaryContract(input: { projectId: $p, name: $name, isDefault: true }) {
  __typename ... on CreateBoundaryContractSuccess { contract { name } } } }`;
const LIST = "query($p: UUID!) { contracts(filter: { projectId: $p }) { edges { node { name } } } }";

describe("Dockerfile", () => {
  it("parses, with the rules an image must keep", () => {
    const instructions = parseDockerfile(DOCKERFILE);
    const stages = stagesOf(instructions);
    expect(stages.length, "a multi-stage build").toBeGreaterThan(1);
    const final = stages.at(-1) as Stage;
    const of = (s: Stage, k: string) => s.instructions.filter((i) => i.keyword === k);

    // dependencies exactly from the lockfile, which is in place before npm ci runs
    const build = stages.find((s) => of(s, "RUN").some((r) => /^npm\s+ci\b/.test(r.args))) as Stage;
    expect(build, "a stage runs npm ci").toBeDefined();
    const ci = build.instructions.findIndex((i) => i.keyword === "RUN" && /^npm\s+ci\b/.test(i.args));
    expect(build.instructions.slice(0, ci).some((i) => i.keyword === "COPY" && /package-lock\.json/.test(i.args))).toBe(
      true,
    );
    for (const s of stages) {
      for (const r of of(s, "RUN")) expect(r.args, `line ${r.line}`).not.toMatch(/\bnpm\s+(install|i|update)\b/);
    }

    // nothing downloaded but npm packages: no ADD, no fetching tools, no URLs in RUN lines
    expect(instructions.filter((i) => i.keyword === "ADD")).toEqual([]);
    for (const r of instructions.filter((i) => i.keyword === "RUN")) {
      expect(r.args, `line ${r.line}`).not.toMatch(/\b(curl|wget|git\s+clone|npx)\b|https?:\/\//);
    }

    // the final stage: a non-root user, a health check, node itself as the process (signals reach it)
    const users = of(final, "USER").map((u) => u.args.split(":")[0]);
    expect(users.at(-1), "the final stage's USER").toBeDefined();
    expect(["root", "0"]).not.toContain(users.at(-1));
    expect(of(final, "HEALTHCHECK")).toHaveLength(1);
    expect(of(final, "HEALTHCHECK")[0]?.args).not.toMatch(/\bNONE\b|\b(curl|wget)\b/);
    // liveness, which asks nothing of the database (README "Operating")
    expect(of(final, "HEALTHCHECK")[0]?.args).toContain("/healthz");
    const cmd = execForm(of(final, "CMD").at(-1)?.args ?? "", "CMD");
    expect(cmd, "CMD in exec form: no shell between the runtime and node").toBeDefined();
    expect(cmd?.[0]).toBe("node");
    expect(of(final, "ENTRYPOINT")).toEqual([]);

    // the embedded database lives on a volume, where DATA_DIR points; the port it listens on is exposed
    const env = Object.fromEntries(
      of(final, "ENV").flatMap((i) =>
        words(i.args, "ENV").map((w) => [w.slice(0, w.indexOf("=")), w.slice(w.indexOf("=") + 1)]),
      ),
    );
    const volumes = of(final, "VOLUME").flatMap((v) => execForm(v.args, "VOLUME") ?? v.args.split(/\s+/));
    expect(volumes).toContain(env.DATA_DIR);
    expect(of(final, "EXPOSE").map((e) => e.args)).toContain(env.PORT);
    expect(env.NODE_ENV).toBe("production");
  });

  it("an instruction the replay does not know fails it, rather than being skipped", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "fms-dockerfile-"));
    try {
      for (const [text, error] of [
        ["FROM node:20\nADD https://example.com/x /x\n", /line 2 \(ADD\): this test does not know how to replay ADD/],
        ["FROM node:20\nRUN --mount=type=cache,target=/x true\n", /the flag --mount is not understood/],
        ["FROM node:20\nENV A=$HOME\n", /variable substitution is not supported/],
        ['FROM alpine:3\nCMD ["true"]\n', /only node:<version> base images/],
        ['FROM node:20\nCOPY missing.txt ./\nCMD ["true"]\n', /missing.txt is not in the build context/],
        ["FROM node:20\nCOPY --chmod=644 package.json ./\n", /the flag --chmod is not understood/],
      ] as const) {
        const dir = mkdtempSync(join(scratch, "case-"));
        await expect(buildImage(text, dir)).rejects.toThrow(error);
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  describe("built and run without a Docker engine", () => {
    const scratch = mkdtempSync(join(tmpdir(), "fms-image-"));
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));
    let built: Promise<Image> | undefined;
    // Built once, for every run below.
    const image = () => {
      if (!built) {
        // nothing above the scratch directories may supply modules the image lacks
        for (let d = scratch; d !== dirname(d); d = dirname(d)) {
          expect(existsSync(join(dirname(d), "node_modules"))).toBe(false);
        }
        mkdirSync(join(scratch, "build"));
        built = buildImage(DOCKERFILE, join(scratch, "build"));
      }
      return built;
    };
    const runEnv = async (extra: Record<string, string> = {}) => ({
      PORT: String(await freePort()),
      HOST: "127.0.0.1",
      ...authEnv,
      ...extra,
    });

    it("with a volume for the embedded database: migrates at start, serves, stops cleanly, keeps its data", async () => {
      const img = await image();
      expect(img.user).toBe("node");
      // the volume is the non-root user's to write
      expect(img.ownership).toContainEqual({ owner: "node:node", path: img.env.DATA_DIR });
      if (img.offline) console.log("RUN lines other than npm ci ran without a network");

      const c = container(img, scratch, await runEnv());
      const before = snapshot(img.root);
      const server = await startCmd(img, c);
      try {
        expect(await healthcheck(img, c)).toBe(0);
        expect(server.output()).toMatch(/applying \d+ pending migration/);
        const created = await graphql(Number(c.env.PORT), CREATE, { p: PROJECT, name: "kept on the volume" });
        expect(created).toMatchObject({
          data: { createBoundaryContract: { __typename: "CreateBoundaryContractSuccess" } },
        });
      } finally {
        expect(await stop(server)).toBe(0);
      }
      expect(server.output()).toMatch(/"msg":"stopped"/);
      expect(await healthcheck(img, c), "the health check fails once the server is gone").not.toBe(0);
      expect(changes(before, snapshot(img.root)), "written outside the volume").toEqual([]);
      expect(readdirSync(c.env.HOME as string), "written in the user's home").toEqual([]);
      const data = c.volumes[img.env.DATA_DIR as string] as string;
      expect(existsSync(join(data, "PG_VERSION"))).toBe(true);
      expect(controlState(data), "the embedded database was shut down cleanly").toBe(1);

      // Restarted on the same volume, by a server that does not migrate: the data is still there.
      const again = container(img, scratch, await runEnv({ MIGRATE_ON_START: "false" }), c.volumes);
      const restarted = await startCmd(img, again);
      try {
        expect(await healthcheck(img, again)).toBe(0);
        expect(await graphql(Number(again.env.PORT), LIST, { p: PROJECT })).toEqual({
          data: { contracts: { edges: [{ node: { name: "kept on the volume" } }] } },
          extensions: expect.anything(),
        });
      } finally {
        expect(await stop(restarted)).toBe(0);
      }
      expect(changes(before, snapshot(img.root)), "written outside the volume").toEqual([]);
    });

    it.runIf(backend() === "postgres")(
      "with DATABASE_URL: the one-shot migration, then a server that refuses nothing and stops cleanly",
      async () => {
        const img = await image();
        const db = await emptyDatabase();
        try {
          const url = (db.target as { url: string }).url;
          const c = container(img, scratch, await runEnv({ DATABASE_URL: url, MIGRATE_ON_START: "false" }));
          // a server that may not migrate refuses a database that lacks migrations
          const refused = await runOnce(img, c, img.cmd);
          expect(refused.code).toBe(1);
          expect(refused.output).toContain("MIGRATE_ON_START is false");
          const migrate = await runOnce(img, c, ["npm", "run", "db:migrate"]);
          expect(migrate.code, migrate.output).toBe(0);
          const server = await startCmd(img, c);
          try {
            expect(await healthcheck(img, c)).toBe(0);
            const created = await graphql(Number(c.env.PORT), CREATE, { p: PROJECT, name: "on PostgreSQL" });
            expect(created).toMatchObject({
              data: { createBoundaryContract: { contract: { name: "on PostgreSQL" } } },
            });
          } finally {
            expect(await stop(server)).toBe(0);
          }
          expect(server.output()).toMatch(/"msg":"stopped"/);
          expect(readdirSync(c.volumes[img.env.DATA_DIR as string] as string)).toEqual([]); // the volume unused
        } finally {
          await db.drop();
        }
      },
    );
  });
});
