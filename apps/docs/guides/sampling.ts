// Random vs sequential sampling of one token stream, as d2l's seq_data_iter_random and
// seq_data_iter_sequential: the stream 0, 1, …, 34 cut into minibatches of 2 rows x 5 steps.
import { randomBatches, sequentialBatches, type BatchSampler } from '@recurrent/datasets';

function show(name: string, sampler: BatchSampler): void {
  console.log(`${name} (carryState: ${sampler.carryState})`);
  const [rows, steps] = [sampler.batchSize, sampler.numSteps];
  for (const batch of sampler) {
    for (let b = 0; b < rows; b++) {
      const x = Array.from(batch.x.subarray(b * steps, (b + 1) * steps));
      const y = Array.from(batch.y.subarray(b * steps, (b + 1) * steps));
      console.log(`  batch ${batch.index} row ${b}  X ${fmt(x)}  Y ${fmt(y)}`);
    }
  }
}

const fmt = (xs: number[]) => `[${xs.map((v) => String(v).padStart(2)).join(' ')}]`;

export async function main(): Promise<void> {
  const stream = Array.from({ length: 35 }, (_, i) => i);
  // Random: windows anywhere in the stream, shuffled; consecutive batches are unrelated.
  show('random', randomBatches(stream, { batchSize: 2, numSteps: 5, seed: 0 }));
  // Sequential: row b of batch i+1 starts where row b of batch i ended.
  show('sequential', sequentialBatches(stream, { batchSize: 2, numSteps: 5, seed: 0 }));
}
