# The rslm demo on the built-in mock backend (a SIMULATED weak model), for PowerShell.
# Same sequence as run_demo.sh: three iterations of run-iteration + consolidate + eval, then a plot.
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")

cargo build --release --quiet
if ($LASTEXITCODE -ne 0) { throw "cargo build failed" }
$exe = if ($IsWindows -or $env:OS -eq "Windows_NT") { "target/release/rslm.exe" } else { "target/release/rslm" }
$db = "artifacts/demo.sqlite"
$env:RSLM_BACKEND = "mock"
$env:RSLM_FAST_VERIFY = "1"
$env:RSLM_DB = $db
# Resolve the interpreter once for all the commands below. On Windows `python3` and `python` may
# be the Store's placeholders, which do not run Python: take the first that answers.
if (-not $env:RSLM_PYTHON) {
  foreach ($candidate in @("py -3", "python3", "python")) {
    $parts = $candidate -split ' '
    if (-not (Get-Command $parts[0] -ErrorAction SilentlyContinue)) { continue }
    $rest = @($parts | Select-Object -Skip 1)
    $found = & $parts[0] @rest -c "import sys; print(sys.executable)" 2>$null
    if ($LASTEXITCODE -eq 0 -and $found) { $env:RSLM_PYTHON = "$found".Trim(); break }
  }
  if (-not $env:RSLM_PYTHON) { throw "no Python 3 found: install it, or set RSLM_PYTHON" }
}

New-Item -ItemType Directory -Force -Path artifacts | Out-Null
foreach ($f in @($db, "$db-wal", "$db-shm", "artifacts/results.png")) { if (Test-Path $f) { Remove-Item $f } }
Get-ChildItem artifacts -Filter "results_iter00*.json" -ErrorAction SilentlyContinue | Remove-Item

function Invoke-Rslm { & $exe @args; if ($LASTEXITCODE -ne 0) { throw "rslm $($args[0]) failed with exit code $LASTEXITCODE" } }

$heldout = 40
$watch = [System.Diagnostics.Stopwatch]::StartNew()
Invoke-Rslm init-db
Invoke-Rslm seed-tasks
foreach ($i in 1..3) {
  Write-Host "== iteration $i"
  Invoke-Rslm run-iteration --k 4 --mode trainpool --memory-enabled --heldout-size $heldout --task-limit 40 --seed $i
  Invoke-Rslm consolidate --min-evidence 2 --heldout-size $heldout
  Invoke-Rslm eval --conditions all --k 1 --n 2 --heldout-size $heldout --output "artifacts/results_iter00$i.json"
  & $env:RSLM_PYTHON scripts/paired.py "artifacts/results_iter00$i.json" semantic memory
  if ($LASTEXITCODE -ne 0) { throw "scripts/paired.py failed" }
}
Invoke-Rslm plot --input $db --output artifacts/results.png
Write-Host ("`ndemo finished in {0:F3} s after the build (SIMULATION: mock backend)" -f $watch.Elapsed.TotalSeconds)
Write-Host "results: artifacts/results_iter001.json .. artifacts/results_iter003.json"
Write-Host "picture: artifacts/results.png"
Write-Host "database: $db"
