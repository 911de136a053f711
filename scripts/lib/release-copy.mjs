// What the release scripts share (release-check.mjs, release-rehearse.mjs): building the six
// packages, a throwaway copy of the workspace's release files, and `changeset version` there with
// a temporary changeset for all six. Nothing here writes into the repository.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import process from 'node:process';

export const root = resolve(import.meta.dirname, '..', '..');
export const PACKAGES = ['core', 'tokenizers', 'datasets', 'layers', 'train', 'generate'];
export const bin = (name) => join(root, 'node_modules', '.bin', name);

/** Runs a command to completion; `out` is its stdout and stderr together. */
export function run(cmd, args, cwd, env = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', ...env }, maxBuffer: 64 * 1024 * 1024 });
  return { ok: r.status === 0, status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** The last meaningful lines of a tool's output, for the failure detail. */
export function tail(text, n = 12) {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('npm warn') && !l.startsWith('npm notice'))
    .slice(-n)
    .map((l) => `      ${l}`)
    .join('\n');
}

/** `git status` of what a release touches (changesets, manifests, changelogs): compare before and after. */
export function releaseFilesStatus() {
  const paths = ['.changeset', 'package.json', ...PACKAGES.flatMap((p) => [`packages/${p}/package.json`, `packages/${p}/CHANGELOG.md`])];
  return run('git', ['status', '--porcelain', '--untracked-files=all', '--', ...paths], root).out;
}

/** Builds the six packages (turbo, `dist/`); returns a failure summary or null. */
export function buildPackages() {
  const build = run(bin('turbo'), ['run', 'build', '--continue', '--output-logs=errors-only', ...PACKAGES.map((p) => `--filter=@recurrent/${p}`)], root);
  if (build.ok) return null;
  const errors = build.out.split('\n').filter((l) => /error TS\d+|Failed:|ERROR/.test(l)).slice(0, 15).map((l) => `      ${l.trim()}`);
  return `build failed:\n${errors.join('\n') || tail(build.out, 30)}`;
}

/**
 * Copies the workspace manifests, `.changeset/` and the six packages (without node_modules) into
 * a new directory under the system's temp dir, links each package's @recurrent siblings (pnpm
 * pack and publish rewrite `workspace:*` from the linked dependency's manifest) and makes it a
 * git repository of its own (changesets reads the repository root from git). Returns its path.
 */
export function throwawayCopy(prefix) {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const copyIgnoring = (from, to) =>
    cpSync(from, to, { recursive: true, filter: (src) => !/[\\/](node_modules|\.turbo)([\\/]|$)/.test(src.slice(from.length)) });
  for (const f of ['package.json', 'pnpm-workspace.yaml', '.npmrc']) if (existsSync(join(root, f))) cpSync(join(root, f), join(work, f));
  copyIgnoring(join(root, '.changeset'), join(work, '.changeset'));
  for (const p of PACKAGES) copyIgnoring(join(root, 'packages', p), join(work, 'packages', p));
  // The apps and the private packages (packages/fixtures) are workspace members named in the
  // changesets `ignore` list: their manifests only.
  for (const [dir, name] of [
    ...readdirSync(join(root, 'apps')).map((n) => ['apps', n]),
    ...readdirSync(join(root, 'packages'))
      .filter((n) => !PACKAGES.includes(n))
      .map((n) => ['packages', n]),
  ]) {
    const manifest = join(root, dir, name, 'package.json');
    if (existsSync(manifest)) cpSync(manifest, join(work, dir, name, 'package.json'));
  }
  for (const p of PACKAGES) {
    const manifest = readManifest(join(work, 'packages', p));
    for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.devDependencies })) {
      const sibling = dep.startsWith('@recurrent/') ? dep.slice('@recurrent/'.length) : undefined;
      if (!sibling || !PACKAGES.includes(sibling)) continue;
      mkdirSync(join(work, 'packages', p, 'node_modules', '@recurrent'), { recursive: true });
      symlinkSync(join(work, 'packages', sibling), join(work, 'packages', p, 'node_modules', '@recurrent', sibling), 'dir');
    }
  }
  run('git', ['init', '-q'], work);
  return work;
}

export const readManifest = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

/**
 * `changeset version` in the throwaway copy with a temporary patch changeset for all six: the
 * fixed group must move all six to one new version and consume the changeset. Returns the
 * versions before and after, the summary written into the changelogs, and a problem or null.
 */
export function versionCopy(work, label) {
  const versions = () => Object.fromEntries(PACKAGES.map((p) => [p, readManifest(join(work, 'packages', p)).version]));
  const before = versions();
  const summary = `${label} ${process.pid}`;
  const changeset = join(work, '.changeset', `${label}-${process.pid}.md`);
  writeFileSync(changeset, `---\n${PACKAGES.map((p) => `'@recurrent/${p}': patch`).join('\n')}\n---\n\n${summary}\n`);
  const version = run(bin('changeset'), ['version'], work);
  const after = versions();
  let problem = null;
  if (!version.ok) problem = `changeset version failed:\n${tail(version.out)}`;
  else if (new Set(Object.values(after)).size !== 1 || PACKAGES.some((p) => after[p] === before[p])) {
    problem = `changeset version: the fixed group should move all six packages to one new version, got ${PACKAGES.map((p) => `${p} ${before[p]} -> ${after[p]}`).join(', ')}`;
  } else if (existsSync(changeset)) problem = 'changeset version: the temporary changeset was not consumed';
  return { ok: version.ok, before, after, summary, problem };
}
