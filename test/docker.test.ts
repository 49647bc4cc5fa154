/**
 * The Dockerfiles' invariants, checked by parsing them with a real Dockerfile parser: pinned bases, the
 * README's install command, package files before sources, checked installs, a build stage that keeps the
 * compilers, the host's routes as build arguments, a non-root user, tests as the default command, no
 * secrets, a .dockerignore. The CPU image is also built and tested for real by `npm run test:docker`
 * (scripts/docker-test.mjs); the CUDA image cannot be built here, so for it these checks are all there is.
 */
import { DockerfileParser, ModifiableInstruction, type Instruction } from 'dockerfile-ast';
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
    const flags = (i: Instruction): string[] =>
      i instanceof ModifiableInstruction ? i.getFlags().map((f) => `${f.getName()}=${f.getValue()}`) : [];

    it('every base image is pinned to an exact version', () => {
      const froms = ins.filter((i) => kw(i) === 'FROM');
      expect(froms.length).toBeGreaterThan(0);
      for (const f of froms) {
        const image = args(f).split(/\s+/)[0]!;
        expect(image, image).toMatch(/:(\d+\.\d+\.\d+)[\w.-]*(@sha256:[0-9a-f]{64})?$|@sha256:[0-9a-f]{64}$/);
        expect(image).not.toMatch(/:latest$/);
      }
    });
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    const copyAllAt = (): number =>
      indexOf((i) => kw(i) === 'COPY' && /(^|\s)\.\s+\.$/.test(args(i).replace(/--chown=\S+\s+/, '')));
    const finalStage = (): Instruction[] => ins.slice(ins.lastIndexOf(ins.filter((i) => kw(i) === 'FROM').at(-1)!));
    const installRun = (): Instruction | undefined =>
      ins.find((i) => kw(i) === 'RUN' && new RegExp(`(^|[;&]\\s*)${installCommand}(\\s|;|$)`).test(args(i)));

    it(`installs as the README's ${installCommand} does, its lifecycle scripts included`, () => {
      expect(installCommand).toBe('npm ci');
      const install = installRun();
      expect(install, `a RUN with ${installCommand}`).toBeDefined();
      const at = ins.indexOf(install!);
      // Before the sources, npm ci cannot run the package's own scripts; each is then run explicitly, in npm's order.
      if (/--ignore-scripts/.test(args(install!))) {
        for (const name of ['preinstall', 'install', 'postinstall', 'prepare']) {
          const command = pkg.scripts[name];
          if (!command) continue;
          const runs = (i: Instruction): boolean =>
            kw(i) === 'RUN' && (args(i).includes(command) || args(i).includes(`npm run ${name}`));
          const k = ins.findIndex((i, j) => j >= at && runs(i));
          expect(k, `the ${name} script (${command})`).toBeGreaterThanOrEqual(at);
          if (name === 'prepare')
            expect(k, 'prepare (the build) runs after the sources are copied').toBeGreaterThan(copyAllAt());
        }
      } else {
        expect(at).toBeGreaterThan(copyAllAt());
      }
    });
    it('checks what it installed, since npm can exit 0 with the install broken', () => {
      const addon = file === 'Dockerfile' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
      // Native packages load through netcensus' own loader (the user's copy, else the cache's).
      const loads = file === 'Dockerfile' ? `requireNative('${addon}')` : `require('${addon}')`;
      expect(args(installRun()!)).toContain(loads);
      const build = ins.find((i) => kw(i) === 'RUN' && /npm run (prepare|build)/.test(args(i)));
      expect(args(build!)).toMatch(/test -f dist\/src\/index\.js/);
      expect(args(finalStage().find((i) => kw(i) === 'RUN' && /require/.test(args(i)))!)).toContain(loads);
    });
    it('keeps compilers, pip and the wheel in a build stage: the runtime stage copies node_modules and dist', () => {
      expect(doc.getFROMs().length).toBeGreaterThanOrEqual(2);
      const final = finalStage();
      for (const i of final.filter((x) => kw(x) === 'RUN'))
        expect(args(i)).not.toMatch(/apt-get install|\bpip\b|g\+\+|npm (ci|install)/);
      const fromBuild = final.filter((i) => kw(i) === 'COPY' && flags(i).includes('from=build'));
      expect(fromBuild.map(args).join(' ')).toMatch(/\/app\/node_modules/);
      expect(fromBuild.map(args).join(' ')).toMatch(/\/app\/dist/);
      if (file === 'Dockerfile') expect(fromBuild.map(args).join(' ')).toMatch(/\/app\/\.native/);
    });
    it('compiles the addon against the Node headers in the image (npm_config_nodedir), not a download', () => {
      expect(ins.some((i) => kw(i) === 'ENV' && /npm_config_nodedir=\/usr\/local/.test(args(i)))).toBe(true);
    });
    it("takes the host's routes: npm registry and pip indexes as build arguments, extra CA certificates as a secret", () => {
      const declared = ins.filter((i) => kw(i) === 'ARG').map((i) => args(i).split('=')[0]);
      expect(declared).toEqual(
        expect.arrayContaining(['NPM_CONFIG_REGISTRY', 'PIP_INDEX_URL', 'PIP_EXTRA_INDEX_URL', 'PIP_FIND_LINKS']),
      );
      expect(flags(installRun()!)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^mount=type=secret,id=extra_ca\b/)]),
      );
    });
    it('copies the package files before the sources (layer caching)', () => {
      const pkgFiles = indexOf(
        (i) => kw(i) === 'COPY' && /package\.json/.test(args(i)) && /package-lock\.json/.test(args(i)),
      );
      expect(pkgFiles).toBeGreaterThan(-1);
      expect(pkgFiles).toBeLessThan(copyAllAt());
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
