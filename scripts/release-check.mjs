#!/usr/bin/env node
// pnpm release:check: a release rehearsal that publishes nothing and leaves the git tree as it was.
//
//  1. builds every package (turbo, `dist/`, which is gitignored);
//  2. copies the workspace manifests, `.changeset/` and the six packages (without node_modules)
//     into a throwaway directory, adds a temporary patch changeset for all six there and runs
//     `changeset version`: the fixed group must move all six to the same new version, rewrite
//     internal ranges and write a CHANGELOG that carries the summary;
//  3. in that copy, for each package: `pnpm pack` (workspace:* becomes the real version, as it
//     would on publish), `pnpm publish --dry-run`, then `publint --strict` and
//     `attw --profile esm-only` on the tarball.
//
// Why `--profile esm-only`: the packages are ESM only ("type": "module", exports with `import`
// and `types`, no `require`). attw's strict profile also resolves them from CommonJS (node16-cjs,
// where `require()` of ESM fails before Node 22) and from node10 (which ignores `exports`, so the
// `./testing` subpath cannot resolve). Those are the two resolutions an ESM-only package gives up
// on purpose; the esm-only profile skips exactly them and still fails on any problem under
// node16-esm and bundler resolution.
//
// Prints one line per package and exits 1 on any problem. `--keep` keeps the throwaway directory.
import { spawnSync } from 'node:child_process';
import process from 'node:process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const PACKAGES = ['core', 'tokenizers', 'datasets', 'layers', 'train', 'generate'];
const keep = process.argv.includes('--keep');
const bin = (name) => join(root, 'node_modules', '.bin', name);

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' }, maxBuffer: 64 * 1024 * 1024 });
  return { ok: r.status === 0, status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** The last meaningful lines of a tool's output, for the failure detail. */
function tail(text, n = 12) {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('npm warn') && !l.startsWith('npm notice'))
    .slice(-n)
    .map((l) => `      ${l}`)
    .join('\n');
}

const trackedBefore = run('git', ['status', '--porcelain', '--untracked-files=all', '--', '.changeset', 'package.json', ...PACKAGES.flatMap((p) => [`packages/${p}/package.json`, `packages/${p}/CHANGELOG.md`])], root).out;
const problems = [];

// 1. Build.
process.stdout.write('release:check: building the packages (turbo)...\n');
const build = run(bin('turbo'), ['run', 'build', '--continue', '--output-logs=errors-only', ...PACKAGES.map((p) => `--filter=@recurrent/${p}`)], root);
if (!build.ok) {
  const errors = build.out.split('\n').filter((l) => /error TS\d+|Failed:|ERROR/.test(l)).slice(0, 15).map((l) => `      ${l.trim()}`);
  problems.push(`build failed:\n${errors.join('\n') || tail(build.out, 30)}`);
}

// 2. Version step on a throwaway copy.
const work = mkdtempSync(join(tmpdir(), 'recurrent-release-check-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);
const copyIgnoring = (from, to) =>
  cpSync(from, to, { recursive: true, filter: (src) => !/[\\/](node_modules|\.turbo)([\\/]|$)/.test(src.slice(from.length)) });
for (const f of ['package.json', 'pnpm-workspace.yaml', '.npmrc']) if (existsSync(join(root, f))) cpSync(join(root, f), join(work, f));
copyIgnoring(join(root, '.changeset'), join(work, '.changeset'));
for (const p of PACKAGES) copyIgnoring(join(root, 'packages', p), join(work, 'packages', p));
// The apps and the private packages (packages/fixtures) are workspace members named in the
// changesets `ignore` list: their manifests only.
for (const [dir, name] of [
  ...readdirSync(join(root, 'apps')).map((n) => ['apps', n]),
  ...readdirSync(join(root, 'packages')).filter((n) => !PACKAGES.includes(n)).map((n) => ['packages', n]),
]) {
  const manifest = join(root, dir, name, 'package.json');
  if (existsSync(manifest)) cpSync(manifest, join(work, dir, name, 'package.json'));
}
// pnpm pack rewrites `workspace:*` from the linked dependency's manifest: link the copied siblings.
for (const p of PACKAGES) {
  const manifest = JSON.parse(readFileSync(join(work, 'packages', p, 'package.json'), 'utf8'));
  for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.devDependencies })) {
    const sibling = dep.startsWith('@recurrent/') ? dep.slice('@recurrent/'.length) : undefined;
    if (!sibling || !PACKAGES.includes(sibling)) continue;
    mkdirSync(join(work, 'packages', p, 'node_modules', '@recurrent'), { recursive: true });
    symlinkSync(join(work, 'packages', sibling), join(work, 'packages', p, 'node_modules', '@recurrent', sibling), 'dir');
  }
}
const readManifest = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const before = Object.fromEntries(PACKAGES.map((p) => [p, readManifest(join(work, 'packages', p)).version]));
const summary = `release-check rehearsal ${process.pid}`;
writeFileSync(
  join(work, '.changeset', `release-check-${process.pid}.md`),
  `---\n${PACKAGES.map((p) => `'@recurrent/${p}': patch`).join('\n')}\n---\n\n${summary}\n`,
);
// changesets reads the repository root from git; a fresh repository keeps it inside the copy.
run('git', ['init', '-q'], work);
const version = run(bin('changeset'), ['version'], work);
const after = Object.fromEntries(PACKAGES.map((p) => [p, readManifest(join(work, 'packages', p)).version]));
const versions = new Set(Object.values(after));
if (!version.ok) problems.push(`changeset version failed:\n${tail(version.out)}`);
else if (versions.size !== 1 || PACKAGES.some((p) => after[p] === before[p])) {
  problems.push(`changeset version: the fixed group should move all six packages to one new version, got ${PACKAGES.map((p) => `${p} ${before[p]} -> ${after[p]}`).join(', ')}`);
} else if (existsSync(join(work, '.changeset', `release-check-${process.pid}.md`))) {
  problems.push('changeset version: the temporary changeset was not consumed');
}
process.stdout.write(`release:check: changeset version (throwaway copy): ${PACKAGES.map((p) => before[p]).join('/') === PACKAGES.map((p) => after[p]).join('/') ? 'no change' : `${[...new Set(Object.values(before))].join(',')} -> ${[...versions].join(',')}`}\n`);

// 3. Pack, dry-run publish, publint and attw, per package.
const rows = [];
for (const p of PACKAGES) {
  const name = `@recurrent/${p}`;
  const dir = join(work, 'packages', p);
  const issues = [];
  const notes = [];
  if (!existsSync(join(dir, 'dist'))) issues.push('no dist/ (build failed?)');
  const changelog = join(dir, 'CHANGELOG.md');
  if (version.ok && !(existsSync(changelog) && readFileSync(changelog, 'utf8').includes(summary))) issues.push('CHANGELOG.md without the changeset summary');
  if (!existsSync(join(dir, 'README.md'))) issues.push('no README.md');

  const pack = run('pnpm', ['pack', '--pack-destination', tarballs], dir);
  const tgz = readdirSync(tarballs).find((f) => f.startsWith(`recurrent-${p}-`) && f.endsWith('.tgz'));
  if (!pack.ok || !tgz) {
    issues.push(`pnpm pack failed:\n${tail(pack.out)}`);
  } else {
    const file = join(tarballs, tgz);
    notes.push(`${(statSync(file).size / 1024).toFixed(0)} kB`);
    const manifest = JSON.parse(run('tar', ['-xzOf', file, 'package/package.json'], work).out);
    const deps = { ...manifest.dependencies, ...manifest.peerDependencies };
    const bad = Object.entries(deps).filter(([, range]) => String(range).startsWith('workspace:'));
    if (bad.length > 0) issues.push(`workspace: ranges left in the tarball: ${bad.map(([d, r]) => `${d}@${r}`).join(', ')}`);
    const listing = run('tar', ['-tzf', file], work).out.split('\n');
    if (!listing.includes('package/README.md')) issues.push('README.md not in the tarball');
    if (listing.some((f) => /\.test(-d)?\.ts$/.test(f))) issues.push('test files in the tarball');
    const fixtures = listing.filter((f) => /(^|\/)(__fixtures__|fixtures)\//.test(f));
    if (fixtures.length > 0) issues.push(`${fixtures.length} test fixture files in the tarball (e.g. ${fixtures[0]}): exclude them in "files"`);

    const publint = run(bin('publint'), ['run', '--strict', file], work);
    // --strict turns warnings into errors (non-zero exit); suggestions are reported, not failed.
    if (publint.ok) notes.push(/All good!/.test(publint.out) ? 'publint ok' : `publint ok (suggestions:\n${tail(publint.out)})`);
    else issues.push(`publint --strict:\n${tail(publint.out)}`);

    const attw = run(bin('attw'), ['--profile', 'esm-only', '--format', 'ascii', '--no-emoji', file], work);
    if (attw.ok) notes.push('attw ok');
    else issues.push(`attw --profile esm-only:\n${tail(attw.out, 20)}`);
  }
  const publish = run('pnpm', ['publish', '--dry-run', '--no-git-checks'], dir);
  if (publish.ok) notes.push('publish --dry-run ok');
  else issues.push(`pnpm publish --dry-run:\n${tail(publish.out)}`);

  rows.push({ name, version: after[p], ok: issues.length === 0, notes, issues });
}

for (const r of rows) {
  process.stdout.write(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(22)} ${String(r.version).padEnd(8)} ${r.notes.join(', ')}${r.ok ? '' : `\n${r.issues.map((i) => `    - ${i}`).join('\n')}`}\n`);
}

const trackedAfter = run('git', ['status', '--porcelain', '--untracked-files=all', '--', '.changeset', 'package.json', ...PACKAGES.flatMap((p) => [`packages/${p}/package.json`, `packages/${p}/CHANGELOG.md`])], root).out;
if (trackedAfter !== trackedBefore) problems.push(`the git tree changed under .changeset/ or the manifests:\n${trackedAfter}`);
if (keep) process.stdout.write(`release:check: kept ${work}\n`);
else rmSync(work, { recursive: true, force: true });

for (const p of problems) process.stdout.write(`FAIL ${p}\n`);
const failed = rows.filter((r) => !r.ok).length + problems.length;
process.stdout.write(failed === 0 ? `release:check: ${rows.length} packages ready to publish\n` : `release:check: ${failed} problem(s)\n`);
process.exit(failed === 0 ? 0 : 1);
