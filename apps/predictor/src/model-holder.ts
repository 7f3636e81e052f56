import { type FSWatcher, lstatSync, realpathSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { loadRegimeModel, type RegimeModel } from '@regime/model/runtime';
import type { Logger } from '@regime/service';

export interface ModelHolderOptions {
  dir: string;
  log: Logger;
  /** Reload when the folder changes (off in the console's one-shot uses and in benchmarks). */
  watch: boolean;
  debounceMs?: number;
  /** How often (wall ms) a symlinked folder's target is compared with the loaded one, in case a watch event was lost. */
  linkPollMs?: number;
  /** Checks a freshly loaded model before it replaces the current one; throws to refuse it. */
  verify: (model: RegimeModel) => Promise<void>;
  onReload?: (outcome: 'swapped' | 'refused') => void;
}

interface Slot {
  model: RegimeModel;
  inUse: number;
  retired: boolean;
}

/**
 * The model, loaded once per process and swapped when its folder changes (a new artifact was
 * trained and saved there). The new model is loaded and verified first; only then does it replace
 * the old one, which is disposed once the predictions running on it have finished. A broken
 * artifact is refused and the old model stays in service.
 */
export class ModelHolder {
  private watcher: FSWatcher | undefined;
  private linkWatcher: FSWatcher | undefined;
  private linkPoll: NodeJS.Timeout | undefined;
  /** The real folder the current model was loaded from (MODEL_DIR may be a symlink). */
  private target: string;
  private timer: NodeJS.Timeout | undefined;
  private reloading = Promise.resolve();

  private constructor(
    private slot: Slot,
    private readonly options: ModelHolderOptions,
    target: string,
  ) {
    this.target = target;
  }

  static async open(options: ModelHolderOptions): Promise<ModelHolder> {
    const target = resolvedDir(options.dir);
    // Read through the resolved path: a link switched mid-read must not mix two versions' files.
    const model = await loadRegimeModel(target);
    await options.verify(model);
    const holder = new ModelHolder({ model, inUse: 0, retired: false }, options, target);
    if (options.watch) holder.startWatching();
    return holder;
  }

  get version(): string {
    return this.slot.model.version;
  }

  /** When the current model's training data ended (epoch ms): its training period's end. */
  get trainedUntil(): number {
    return Date.parse(this.slot.model.metadata.training.periods.train.to);
  }

  /** Runs fn with the current model; the model is not disposed while fn runs. */
  async use<T>(fn: (model: RegimeModel) => Promise<T>): Promise<T> {
    const slot = this.slot;
    slot.inUse++;
    try {
      return await fn(slot.model);
    } finally {
      slot.inUse--;
      if (slot.retired && slot.inUse === 0) slot.model.dispose();
    }
  }

  /** Loads the folder again and swaps if the new model passes verification. */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(async () => {
      const { dir, log } = this.options;
      let fresh: RegimeModel;
      let target: string;
      try {
        target = resolvedDir(dir);
        fresh = await loadRegimeModel(target);
        await this.options.verify(fresh);
      } catch (error) {
        log.error(
          { err: error, dir },
          'model folder changed but the new model is unusable; keeping the old one',
        );
        this.options.onReload?.('refused');
        return;
      }
      const old = this.slot;
      this.slot = { model: fresh, inUse: 0, retired: false };
      if (target !== this.target) {
        this.target = target;
        // fs.watch followed the old link: watch the folder the link points at now.
        if (this.watcher) this.watchTarget();
      }
      old.retired = true;
      if (old.inUse === 0) old.model.dispose();
      log.info({ from: old.model.version, to: fresh.version, dir }, 'model reloaded');
      this.options.onReload?.('swapped');
    });
    return this.reloading;
  }

  /** Saving an artifact touches several files: reload once the folder has been quiet for a moment. */
  private scheduleReload = () => {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload(), this.options.debounceMs ?? 1000);
  };

  private watchTarget(): void {
    this.watcher?.close();
    this.watcher = watch(this.options.dir, this.scheduleReload);
    this.watcher.on('error', (error) => this.options.log.warn({ err: error }, 'model folder watch failed'));
  }

  private startWatching(): void {
    this.watchTarget();
    const { dir, log } = this.options;
    if (!lstatSync(dir).isSymbolicLink()) return;
    // A symlinked MODEL_DIR (the trainer's MODELS_DIR/champion) is switched by renaming a new link
    // over it: the folder's own watch never sees that, its parent does (under the link's name).
    this.linkWatcher = watch(dirname(dir), (_event, name) => {
      if (name === basename(dir)) this.scheduleReload();
    });
    this.linkWatcher.on('error', (error) => log.warn({ err: error }, 'model link watch failed'));
    this.linkPoll = setInterval(() => {
      let now: string | undefined;
      try {
        now = realpathSync(dir);
      } catch {
        return; // A dangling link: keep the model in service, the next switch fixes it.
      }
      if (now !== this.target) this.scheduleReload();
    }, this.options.linkPollMs ?? 10_000);
    this.linkPoll.unref();
  }

  async close(): Promise<void> {
    this.watcher?.close();
    this.linkWatcher?.close();
    clearInterval(this.linkPoll);
    clearTimeout(this.timer);
    await this.reloading;
    this.slot.retired = true;
    if (this.slot.inUse === 0) this.slot.model.dispose();
  }
}

/** The real folder behind a (possibly symlinked) MODEL_DIR; a missing one is loadRegimeModel's to explain. */
function resolvedDir(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}
