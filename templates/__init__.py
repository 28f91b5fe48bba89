"""User-editable templates (report .docx, mail texts); installed as zwgk_xl.templates."""
