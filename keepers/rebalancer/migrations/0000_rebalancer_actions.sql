CREATE TABLE `rebalancer_actions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`chain_id` integer NOT NULL,
	`action` text NOT NULL,
	`portfolio_id` text,
	`asset` text,
	`side` text,
	`pools` text,
	`episode_block` integer NOT NULL,
	`block_number` integer NOT NULL,
	`block_timestamp` integer NOT NULL,
	`decided_at` integer NOT NULL,
	`max_drift_bps` text,
	`price` text,
	`stop_loss_price` text,
	`take_profit_price` text,
	`status` text NOT NULL,
	`reason` text,
	`intent_id` text NOT NULL,
	`tx_hash` text,
	`mined_block` integer,
	`latency_blocks` integer,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `rebalancer_actions_portfolio` ON `rebalancer_actions` (`chain_id`,`portfolio_id`,`id`);--> statement-breakpoint
CREATE INDEX `rebalancer_actions_intent` ON `rebalancer_actions` (`intent_id`);--> statement-breakpoint
CREATE INDEX `rebalancer_actions_status` ON `rebalancer_actions` (`status`,`id`);