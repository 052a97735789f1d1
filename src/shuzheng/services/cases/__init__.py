"""办件: applications from draft to 办结 and 送达, on the workflow engine, with working-day
deadlines, 补齐补正, 特别程序 and 电子监察."""
