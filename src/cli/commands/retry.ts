import { AppError } from '../../errors.js';
import type { CommandRun } from '../context.js';

export const run: CommandRun = async () => {
  throw new AppError('`retry` is not built yet');
};
