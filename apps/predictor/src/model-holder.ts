import { type FSWatcher, watch } from 'node:fs';
import { loadRegimeModel, type RegimeModel } from '@regime/model/runtime';
import type { Logger } from '@regime/service';

export interface ModelHolderOptions {
  dir: string;
  log: Logger;
  /** Reload when the folder changes (off in the console's one-shot uses and in benchmarks). */
  watch: boolean;
  debounceMs?: number;
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
  private timer: NodeJS.Timeout | undefined;
  private reloading = Promise.resolve();

  private constructor(
    private slot: Slot,
    private readonly options: ModelHolderOptions,
  ) {}

  static async open(options: ModelHolderOptions): Promise<ModelHolder> {
    const model = await loadRegimeModel(options.dir);
    await options.verify(model);
    const holder = new ModelHolder({ model, inUse: 0, retired: false }, options);
    if (options.watch) holder.startWatching();
    return holder;
  }

  get version(): string {
    return this.slot.model.version;
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
      try {
        fresh = await loadRegimeModel(dir);
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
      old.retired = true;
      if (old.inUse === 0) old.model.dispose();
      log.info({ from: old.model.version, to: fresh.version, dir }, 'model reloaded');
      this.options.onReload?.('swapped');
    });
    return this.reloading;
  }

  private startWatching(): void {
    const debounceMs = this.options.debounceMs ?? 1000;
    // Saving an artifact touches several files: wait until the folder has been quiet for a moment.
    this.watcher = watch(this.options.dir, () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.reload(), debounceMs);
    });
    this.watcher.on('error', (error) => this.options.log.warn({ err: error }, 'model folder watch failed'));
  }

  async close(): Promise<void> {
    this.watcher?.close();
    clearTimeout(this.timer);
    await this.reloading;
    this.slot.retired = true;
    if (this.slot.inUse === 0) this.slot.model.dispose();
  }
}
