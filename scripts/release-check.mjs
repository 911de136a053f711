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
import process from 'node:process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGES, bin, buildPackages, releaseFilesStatus, run, tail, throwawayCopy, versionCopy } from './lib/release-copy.mjs';

const keep = process.argv.includes('--keep');
const trackedBefore = releaseFilesStatus();
const problems = [];

// 1. Build.
process.stdout.write('release:check: building the packages (turbo)...\n');
const buildProblem = buildPackages();
if (buildProblem) problems.push(buildProblem);

// 2. Version step on a throwaway copy.
const work = throwawayCopy('recurrent-release-check-');
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);
const version = versionCopy(work, 'release-check');
const { before, after, summary } = version;
if (version.problem) problems.push(version.problem);
const versions = new Set(Object.values(after));
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

const trackedAfter = releaseFilesStatus();
if (trackedAfter !== trackedBefore) problems.push(`the git tree changed under .changeset/ or the manifests:\n${trackedAfter}`);
if (keep) process.stdout.write(`release:check: kept ${work}\n`);
else rmSync(work, { recursive: true, force: true });

for (const p of problems) process.stdout.write(`FAIL ${p}\n`);
const failed = rows.filter((r) => !r.ok).length + problems.length;
process.stdout.write(failed === 0 ? `release:check: ${rows.length} packages ready to publish\n` : `release:check: ${failed} problem(s)\n`);
process.exit(failed === 0 ? 0 : 1);
