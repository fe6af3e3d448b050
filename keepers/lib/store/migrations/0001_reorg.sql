ALTER TABLE `tx_intents` ADD `mined_block_hash` text;--> statement-breakpoint
ALTER TABLE `tx_intents` ADD `orphaned_at` integer;