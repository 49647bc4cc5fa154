/**
 * No Docker engine runs on these machines, so the Dockerfiles' invariants are checked by parsing them
 * with a real Dockerfile parser: pinned bases, the README's install command, package files before
 * sources, a non-root user, tests as the default command, no secrets, a .dockerignore.
 */
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (p: string): string => readFileSync(new URL(`../${p}`, import.meta.url), 'utf8');
const readme = read('README.md');
// The README's set-up: the first fenced block's first command is the install (npm ci && npm start).
const installCommand = /```sh\n([^\n#]+?)\s*(?:#.*)?\n/.exec(readme)![1]!.split('&&')[0]!.trim();

for (const file of ['Dockerfile', 'Dockerfile.cuda']) {
  describe(file, () => {
    const doc = DockerfileParser.parse(read(file));
    const ins: Instruction[] = doc.getInstructions();
    const kw = (i: Instruction): string => i.getKeyword();
    const args = (i: Instruction): string => i.getArgumentsContent() ?? '';
    const indexOf = (pred: (i: Instruction) => boolean): number => ins.findIndex(pred);

    it('every base image is pinned to an exact version', () => {
      const froms = ins.filter((i) => kw(i) === 'FROM');
      expect(froms.length).toBeGreaterThan(0);
      for (const f of froms) {
        const image = args(f).split(/\s+/)[0]!;
        expect(image, image).toMatch(/:(\d+\.\d+\.\d+)[\w.-]*(@sha256:[0-9a-f]{64})?$|@sha256:[0-9a-f]{64}$/);
        expect(image).not.toMatch(/:latest$/);
      }
    });
    it(`runs the README's install command (${installCommand}) after copying the sources`, () => {
      expect(installCommand).toBe('npm ci');
      const copyAll = indexOf((i) => kw(i) === 'COPY' && /(^|\s)\.\s+\.$/.test(args(i).replace(/--chown=\S+\s+/, '')));
      const install = ins.findIndex(
        (i, k) => k > copyAll && kw(i) === 'RUN' && new RegExp(`(^|&&\\s*)${installCommand}(\\s|$)`).test(args(i)),
      );
      expect(copyAll).toBeGreaterThan(-1);
      expect(install).toBeGreaterThan(copyAll);
    });
    it('copies the package files before the sources (layer caching)', () => {
      const pkg = indexOf(
        (i) => kw(i) === 'COPY' && /package\.json/.test(args(i)) && /package-lock\.json/.test(args(i)),
      );
      const copyAll = indexOf((i) => kw(i) === 'COPY' && /(^|\s)\.\s+\.$/.test(args(i).replace(/--chown=\S+\s+/, '')));
      expect(pkg).toBeGreaterThan(-1);
      expect(pkg).toBeLessThan(copyAll);
    });
    it('runs as a non-root user', () => {
      const users = ins.filter((i) => kw(i) === 'USER').map(args);
      expect(users.length).toBeGreaterThan(0);
      expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    });
    it('runs the tests by default and netcensus for any other command', () => {
      const entry = ins
        .filter((i) => kw(i) === 'ENTRYPOINT')
        .map(args)
        .at(-1)!;
      const cmd = ins
        .filter((i) => kw(i) === 'CMD')
        .map(args)
        .at(-1);
      expect(entry).toMatch(/docker-entrypoint\.sh/);
      expect(cmd).toBe('[]');
      const script = read('scripts/docker-entrypoint.sh');
      expect(script).toMatch(/if \[ "\$#" -eq 0 \]; then\s+exec npm test/);
      expect(script).toMatch(/exec node \/app\/bin\/netcensus\.js "\$@"/);
    });
    it('carries no secrets', () => {
      for (const i of ins.filter((x) => ['ENV', 'ARG', 'LABEL'].includes(kw(x)))) {
        expect(args(i)).not.toMatch(/(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|AUTH)\s*[=\s]/i);
      }
      expect(read(file)).not.toMatch(/npm_token|_authToken|ghp_[A-Za-z0-9]{20,}/i);
    });
  });
}

describe('Dockerfile.cuda', () => {
  it('is based on a CUDA 11.2 + cuDNN 8 runtime (what tfjs-node-gpu 4.x needs) and installs tfjs-node-gpu', () => {
    const doc = DockerfileParser.parse(read('Dockerfile.cuda'));
    const froms = doc
      .getInstructions()
      .filter((i) => i.getKeyword() === 'FROM')
      .map((i) => i.getArgumentsContent() ?? '');
    expect(froms.some((f) => /^nvidia\/cuda:11\.2\.\d+-cudnn8-runtime/.test(f))).toBe(true);
    expect(read('Dockerfile.cuda')).toMatch(/@tensorflow\/tfjs-node-gpu@4\.22\.0/);
  });
});

describe('.dockerignore', () => {
  it('keeps node_modules, build output and caches out of the build context', () => {
    const lines = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    for (const p of ['node_modules', 'dist', '.cache', '.git']) expect(lines).toContain(p);
  });
});
