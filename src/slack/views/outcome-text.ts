import { outcomeWords, type WordFormat } from '../../core/outcome-words.ts';
import type { Outcome } from '../../core/outcomes.ts';
import { mention } from './blocks.ts';
import { escapeMrkdwn, slackDate } from './mrkdwn.ts';

const SLACK: WordFormat = {
  user: mention,
  time: (ms) => slackDate(ms, '{time}'),
  text: escapeMrkdwn,
};

/** The outcome in Slack mrkdwn for the person who typed or clicked (ephemeral), or undefined. */
export function outcomeText(o: Outcome): string | undefined {
  return outcomeWords(o, SLACK);
}
