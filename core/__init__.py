"""What both halves of Servicebook share: database, people, audit, Markdown, commands, config."""
